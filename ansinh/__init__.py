"""ansinh — information system of a provincial social security office (BHXH, BHYT, BHTN)."""

__version__ = "0.1.0"
