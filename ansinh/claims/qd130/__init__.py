"""Dữ liệu KCB BHYT theo chuẩn đầu ra QĐ 130/QĐ-BYT sửa đổi bởi QĐ 4750/QĐ-BYT (health-insurance claim data).

The official output format hospitals send to Vietnam Social Security since 2024:

- Decision 130/QĐ-BYT of 18 January 2023 of the Minister of Health ("Chuẩn và định dạng dữ liệu đầu ra phục vụ
  việc quản lý, giám định, thanh toán chi phí khám bệnh, chữa bệnh và giải quyết các chế độ liên quan"),
  amended by Decision 4750/QĐ-BYT of 29 December 2023;
- the envelope and the sending service: Vietnam Social Security's technical letters 1245/BHXH-CNTT (2024, for
  QĐ 4750) and 3190/BHXH-CNTT (2023, for QĐ 130);
- the receiving portal's (Cổng tiếp nhận dữ liệu Hệ thống thông tin giám định BHYT) validation sheets for
  QĐ 130 and QĐ 4750: per field, required, type, size and rule.

Modules: :mod:`.schema` (tables XML0–XML15), :mod:`.values` (typed values as real files send them),
:mod:`.reader` (streaming envelope reader), :mod:`.checks` (the portal's checks), :mod:`.writer` (the envelope
writer, for tests and the synthetic generator).
"""
