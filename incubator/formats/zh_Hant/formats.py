"""Numbers grouped by thousands with commas; dates as Django writes them (2027年1月25日)."""

THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
DATE_FORMAT = "Y年n月j日"
DATETIME_FORMAT = "Y年n月j日 H:i"
