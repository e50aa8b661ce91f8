"""Vietnamese personal names with realistic frequencies (family names from population surveys;
middle and given names common in north-central Vietnam)."""

from __future__ import annotations

FAMILY_NAMES: list[tuple[str, float]] = [
    ("Nguyễn", 38.0), ("Trần", 11.0), ("Lê", 9.5), ("Phạm", 7.1), ("Hoàng", 4.0), ("Phan", 4.5),
    ("Võ", 3.9), ("Đặng", 2.1), ("Bùi", 2.0), ("Đỗ", 1.4), ("Hồ", 1.3), ("Ngô", 1.3), ("Dương", 1.0),
    ("Lý", 0.5), ("Đinh", 1.0), ("Đào", 0.8), ("Thái", 0.8), ("Trương", 0.7), ("Cao", 0.6),
    ("Chu", 0.4), ("Mai", 0.5), ("Hà", 0.6), ("Lưu", 0.3), ("Tạ", 0.3), ("Kiều", 0.2),
]
MALE_MIDDLE = ["Văn", "Đức", "Minh", "Hữu", "Quang", "Công", "Xuân", "Thanh", "Đình", "Ngọc", "Trọng", "Anh"]
FEMALE_MIDDLE = ["Thị", "Thị", "Thị", "Ngọc", "Thu", "Thanh", "Hồng", "Minh", "Phương", "Kim", "Bảo", "Mai"]
MALE_GIVEN = [
    "An", "Anh", "Bình", "Cường", "Dũng", "Duy", "Đạt", "Hải", "Hiếu", "Hoàng", "Hùng", "Huy", "Khánh",
    "Khoa", "Kiên", "Lâm", "Long", "Lực", "Mạnh", "Minh", "Nam", "Nghĩa", "Phong", "Phúc", "Quân",
    "Quang", "Sơn", "Tài", "Thắng", "Thành", "Thịnh", "Tiến", "Toàn", "Trung", "Tuấn", "Tùng", "Việt",
    "Vinh", "Vũ", "Hậu", "Lợi", "Tâm", "Thái", "Hòa", "Hưng",
]
FEMALE_GIVEN = [
    "An", "Anh", "Chi", "Dung", "Duyên", "Giang", "Hà", "Hạnh", "Hằng", "Hiền", "Hoa", "Hồng", "Huệ",
    "Hương", "Huyền", "Lan", "Liên", "Linh", "Loan", "Mai", "My", "Nga", "Ngân", "Nhung", "Oanh",
    "Phương", "Quỳnh", "Tâm", "Thảo", "Thơ", "Thu", "Thủy", "Trang", "Trinh", "Tuyết", "Uyên", "Vân",
    "Vy", "Yến", "Xuân", "Hạnh", "Nhàn", "Lý", "Sương", "Diệu",
]
COMMUNE_STEMS = [
    "Thạch Hà", "Cẩm Xuyên", "Kỳ Anh", "Hương Sơn", "Đức Thọ", "Can Lộc", "Nghi Xuân", "Hương Khê",
    "Lộc Hà", "Vũ Quang", "Thành Sen", "Trần Phú", "Hà Huy Tập", "Sông Trí", "Hoành Sơn", "Kỳ Hoa",
    "Thiên Cầm", "Xuân Lộc", "Đồng Lộc", "Tùng Lộc", "Hồng Lộc", "Thạch Khê", "Đông Kinh", "Việt Xuyên",
    "Toàn Lưu", "Mai Phụ", "Sơn Tây", "Sơn Kim", "Phúc Trạch", "Hương Bình", "Hà Linh", "Lộc Yên",
    "Kỳ Xuân", "Kỳ Văn", "Kỳ Khang", "Kỳ Lạc", "Cẩm Bình", "Cẩm Hưng", "Cẩm Trung", "Cẩm Lạc",
    "Thiên Lộc", "Gia Hanh", "Trường Lưu", "Xuân Hồng", "Tiên Điền", "Cổ Đạm", "Đan Hải", "Xuân An",
    "Đức Minh", "Đức Đồng", "Đức Quang", "Tùng Ảnh", "Thạch Lạc", "Thạch Xuân", "Ngọc Sơn", "Lưu Vĩnh Sơn",
    "Hương Xuân", "Hương Phố", "Hương Đô", "Phúc Đồng", "Vũ Quang Tây", "Mai Hoa", "Cẩm Duệ", "Yên Hòa",
    "Kỳ Thượng", "Kỳ Tây", "Nam Hồng Lĩnh", "Bắc Hồng Lĩnh", "Hải Ninh", "Vĩnh Hòa", "Thượng Đức",
]
COMPANY_WORDS = [
    "Hồng Lĩnh", "Sông Lam", "Thiên Cầm", "Hoành Sơn", "Trường Thịnh", "Phú Gia", "Minh Phát", "An Bình",
    "Hưng Thịnh", "Đại Phát", "Việt Hà", "Thành Công", "Tân Phú", "Bắc Trung Bộ", "Vũng Áng", "Kim Long",
    "Hải Đăng", "Sao Mai", "Phúc Lộc", "Đức Hạnh", "Nam Việt", "Hà Tĩnh", "Lam Hồng", "Kỳ Anh",
]
COMPANY_TRADES = {
    "C": "Sản xuất", "G": "Thương mại", "F": "Xây dựng", "H": "Vận tải", "I": "Du lịch và Khách sạn",
    "A": "Nông lâm", "J": "Công nghệ", "K": "Tài chính", "M": "Tư vấn", "N": "Dịch vụ", "P": "Giáo dục",
    "Q": "Y tế", "O": "Hành chính", "S": "Dịch vụ", "D": "Điện lực", "E": "Môi trường", "B": "Khai khoáng",
}
