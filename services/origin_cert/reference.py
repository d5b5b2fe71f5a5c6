"""The reference data ``seed-reference`` loads: CCPIT branches, countries, and the certificate types (GENERAL and the
preferential certificate of each agreement the spec names) with their members and origin criteria.

Thresholds and criteria are the agreements' general rules of origin; product-specific rules and the real
schedules replace them in production (the head office edits agreements; ``import-tariffs`` loads schedules).
"""

from __future__ import annotations

# (code, name, English name, the four digits certificate numbers carry)
BRANCHES: tuple[tuple[str, str, str, str], ...] = (
    ("HQ", "中国国际贸易促进委员会", "CHINA COUNCIL FOR THE PROMOTION OF INTERNATIONAL TRADE", "1000"),
    ("BEIJING", "中国国际贸易促进委员会北京市分会", "CCPIT BEIJING SUB-COUNCIL", "1100"),
    ("TIANJIN", "中国国际贸易促进委员会天津市分会", "CCPIT TIANJIN SUB-COUNCIL", "1200"),
    ("HEBEI", "中国国际贸易促进委员会河北省分会", "CCPIT HEBEI SUB-COUNCIL", "1300"),
    ("SHANGHAI", "中国国际贸易促进委员会上海市分会", "CCPIT SHANGHAI SUB-COUNCIL", "3100"),
    ("JIANGSU", "中国国际贸易促进委员会江苏省分会", "CCPIT JIANGSU SUB-COUNCIL", "3200"),
    ("ZHEJIANG", "中国国际贸易促进委员会浙江省分会", "CCPIT ZHEJIANG SUB-COUNCIL", "3300"),
    ("FUJIAN", "中国国际贸易促进委员会福建省分会", "CCPIT FUJIAN SUB-COUNCIL", "3500"),
    ("SHANDONG", "中国国际贸易促进委员会山东省分会", "CCPIT SHANDONG SUB-COUNCIL", "3700"),
    ("GUANGDONG", "中国国际贸易促进委员会广东省分会", "CCPIT GUANGDONG SUB-COUNCIL", "4400"),
    ("SHENZHEN", "中国国际贸易促进委员会深圳市分会", "CCPIT SHENZHEN SUB-COUNCIL", "4403"),
    ("CHONGQING", "中国国际贸易促进委员会重庆市分会", "CCPIT CHONGQING SUB-COUNCIL", "5000"),
    ("SICHUAN", "中国国际贸易促进委员会四川省分会", "CCPIT SICHUAN SUB-COUNCIL", "5100"),
)

# (ISO 3166 alpha-2, name, English name)
COUNTRIES: tuple[tuple[str, str, str], ...] = (
    ("CN", "中国", "CHINA"), ("AU", "澳大利亚", "AUSTRALIA"), ("BN", "文莱", "BRUNEI DARUSSALAM"),
    ("KH", "柬埔寨", "CAMBODIA"), ("ID", "印度尼西亚", "INDONESIA"), ("JP", "日本", "JAPAN"),
    ("KR", "韩国", "REPUBLIC OF KOREA"), ("LA", "老挝", "LAO PDR"), ("MY", "马来西亚", "MALAYSIA"),
    ("MM", "缅甸", "MYANMAR"), ("NZ", "新西兰", "NEW ZEALAND"), ("PH", "菲律宾", "PHILIPPINES"),
    ("SG", "新加坡", "SINGAPORE"), ("TH", "泰国", "THAILAND"), ("VN", "越南", "VIET NAM"),
    ("BD", "孟加拉国", "BANGLADESH"), ("IN", "印度", "INDIA"), ("LK", "斯里兰卡", "SRI LANKA"),
    ("MN", "蒙古国", "MONGOLIA"), ("PK", "巴基斯坦", "PAKISTAN"), ("CL", "智利", "CHILE"), ("PE", "秘鲁", "PERU"),
    ("TW", "中国台湾", "TAIWAN, CHINA"), ("CR", "哥斯达黎加", "COSTA RICA"), ("IS", "冰岛", "ICELAND"),
    ("CH", "瑞士", "SWITZERLAND"), ("GE", "格鲁吉亚", "GEORGIA"), ("MU", "毛里求斯", "MAURITIUS"),
    ("RS", "塞尔维亚", "SERBIA"), ("NI", "尼加拉瓜", "NICARAGUA"), ("EC", "厄瓜多尔", "ECUADOR"),
    ("HN", "洪都拉斯", "HONDURAS"), ("MV", "马尔代夫", "MALDIVES"), ("US", "美国", "UNITED STATES"),
    ("CA", "加拿大", "CANADA"), ("MX", "墨西哥", "MEXICO"), ("BR", "巴西", "BRAZIL"), ("AR", "阿根廷", "ARGENTINA"),
    ("GB", "英国", "UNITED KINGDOM"), ("DE", "德国", "GERMANY"), ("FR", "法国", "FRANCE"), ("IT", "意大利", "ITALY"),
    ("ES", "西班牙", "SPAIN"), ("NL", "荷兰", "NETHERLANDS"), ("BE", "比利时", "BELGIUM"), ("PL", "波兰", "POLAND"),
    ("RU", "俄罗斯", "RUSSIAN FEDERATION"), ("TR", "土耳其", "TURKIYE"), ("AE", "阿联酋", "UNITED ARAB EMIRATES"),
    ("SA", "沙特阿拉伯", "SAUDI ARABIA"), ("EG", "埃及", "EGYPT"), ("ZA", "南非", "SOUTH AFRICA"),
    ("NG", "尼日利亚", "NIGERIA"), ("KE", "肯尼亚", "KENYA"), ("HK", "中国香港", "HONG KONG, CHINA"),
    ("MO", "中国澳门", "MACAO, CHINA"),
)

ASEAN_MEMBERS = ("BN", "KH", "ID", "LA", "MY", "MM", "PH", "SG", "TH", "VN")
ALL = "WO PE CTC RVC"

# code: (name, English name, number prefix, members, criteria, RVC %, basis, CTC digits, HS digits, ECFA code)
AGREEMENTS: dict[str, tuple] = {
    "GENERAL": ("一般原产地证书", "CERTIFICATE OF ORIGIN (NON-PREFERENTIAL)", "C", (), ALL, "30", "FOB", 4, 6, False),
    "RCEP": ("区域全面经济伙伴关系协定（RCEP）", "REGIONAL COMPREHENSIVE ECONOMIC PARTNERSHIP", "R",
             (*ASEAN_MEMBERS, "AU", "JP", "KR", "NZ"), ALL, "40", "FOB", 4, 6, False),
    "ASEAN": ("中国—东盟自由贸易协定（FORM E）", "ASEAN-CHINA FREE TRADE AREA (FORM E)", "E", ASEAN_MEMBERS, ALL,
              "40", "FOB", 4, 6, False),
    "APTA": ("亚太贸易协定", "ASIA-PACIFIC TRADE AGREEMENT", "B", ("BD", "IN", "KR", "LA", "LK", "MN"),
             "WO PE RVC", "45", "FOB", 4, 6, False),
    "PAKISTAN": ("中国—巴基斯坦自由贸易协定", "CHINA-PAKISTAN FREE TRADE AGREEMENT", "PK", ("PK",), ALL, "40", "FOB",
                 4, 6, False),
    "CHILE": ("中国—智利自由贸易协定", "CHINA-CHILE FREE TRADE AGREEMENT", "F", ("CL",), ALL, "40", "FOB", 4, 6,
              False),
    "NEW_ZEALAND": ("中国—新西兰自由贸易协定", "CHINA-NEW ZEALAND FREE TRADE AGREEMENT", "N", ("NZ",), ALL, "40",
                    "FOB", 4, 6, False),
    "SINGAPORE": ("中国—新加坡自由贸易协定", "CHINA-SINGAPORE FREE TRADE AGREEMENT", "X", ("SG",), ALL, "40", "FOB", 4,
                  6, False),
    "PERU": ("中国—秘鲁自由贸易协定", "CHINA-PERU FREE TRADE AGREEMENT", "PE", ("PE",), ALL, "40", "FOB", 4, 6, False),
    "ECFA": ("海峡两岸经济合作框架协议（ECFA）", "ECONOMIC COOPERATION FRAMEWORK AGREEMENT", "W", ("TW",), ALL, "40",
             "FOB", 4, 8, True),
    "COSTA_RICA": ("中国—哥斯达黎加自由贸易协定", "CHINA-COSTA RICA FREE TRADE AGREEMENT", "CR", ("CR",), ALL, "40",
                   "FOB", 4, 6, False),
    "ICELAND": ("中国—冰岛自由贸易协定", "CHINA-ICELAND FREE TRADE AGREEMENT", "IS", ("IS",), ALL, "40", "EXW", 4, 6,
                False),
    "SWITZERLAND": ("中国—瑞士自由贸易协定", "CHINA-SWITZERLAND FREE TRADE AGREEMENT", "CH", ("CH",), ALL, "50", "EXW",
                    4, 6, False),
    "AUSTRALIA": ("中国—澳大利亚自由贸易协定", "CHINA-AUSTRALIA FREE TRADE AGREEMENT", "AU", ("AU",), ALL, "40", "FOB",
                  4, 6, False),
    "KOREA": ("中国—韩国自由贸易协定", "CHINA-KOREA FREE TRADE AGREEMENT", "K", ("KR",), ALL, "40", "FOB", 4, 6, False),
    "GEORGIA": ("中国—格鲁吉亚自由贸易协定", "CHINA-GEORGIA FREE TRADE AGREEMENT", "GE", ("GE",), ALL, "40", "FOB", 4,
                6, False),
    "MAURITIUS": ("中国—毛里求斯自由贸易协定", "CHINA-MAURITIUS FREE TRADE AGREEMENT", "MU", ("MU",), ALL, "40", "FOB",
                  4, 6, False),
    "CAMBODIA": ("中国—柬埔寨自由贸易协定", "CHINA-CAMBODIA FREE TRADE AGREEMENT", "KH", ("KH",), ALL, "40", "FOB", 4,
                 6, False),
    "SERBIA": ("中国—塞尔维亚自由贸易协定", "CHINA-SERBIA FREE TRADE AGREEMENT", "RS", ("RS",), ALL, "40", "FOB", 4, 6,
               False),
    "NICARAGUA": ("中国—尼加拉瓜自由贸易协定", "CHINA-NICARAGUA FREE TRADE AGREEMENT", "NI", ("NI",), ALL, "40", "FOB",
                  4, 6, False),
    "ECUADOR": ("中国—厄瓜多尔自由贸易协定", "CHINA-ECUADOR FREE TRADE AGREEMENT", "EC", ("EC",), ALL, "40", "FOB", 4,
                6, False),
    "HONDURAS": ("中国—洪都拉斯自由贸易协定（早期收获）", "CHINA-HONDURAS FREE TRADE AGREEMENT (EARLY HARVEST)", "HN",
                 ("HN",), ALL, "40", "FOB", 4, 6, False),
    "MALDIVES": ("中国—马尔代夫自由贸易协定", "CHINA-MALDIVES FREE TRADE AGREEMENT", "MV", ("MV",), ALL, "40", "FOB", 4,
                 6, False),
}
