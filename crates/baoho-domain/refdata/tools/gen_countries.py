#!/usr/bin/env python3
"""Generate countries.csv from Debian's iso-codes (LGPL-2.1+):
/usr/share/iso-codes/json/iso_3166-1.json gives alpha-2, alpha-3, numeric and English names.

Vietnamese names are hand-maintained below (VI), following the forms used by Vietnam's Ministry
of Foreign Affairs. iso-codes also ships Vietnamese translations
(/usr/share/locale/vi/LC_MESSAGES/iso_3166-1.mo) but they are archaic or garbled ("Nhật",
"Căm Bốt", "Nam Hàn", "Miến Điện", "Ao" for Austria, "Cu-ouai-thợ"), so they are not used; a
territory missing from VI gets its English name and is listed by `--missing`.

    python3 gen_countries.py            # writes ../countries.csv
    python3 gen_countries.py --missing  # lists entries without a Vietnamese name
"""
import csv
import json
import os
import sys
import unicodedata

SRC = "/usr/share/iso-codes/json/iso_3166-1.json"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "countries.csv")

VI = {
    # Sovereign states (UN members and observers).
    "AF": "Áp-ga-ni-xtan", "AL": "An-ba-ni", "DZ": "An-giê-ri", "AD": "An-đô-ra",
    "AO": "Ăng-gô-la", "AG": "An-ti-gu-a và Bác-bu-đa", "AR": "Ác-hen-ti-na",
    "AM": "Ác-mê-ni-a", "AU": "Ô-xtrây-li-a", "AT": "Áo", "AZ": "A-déc-bai-gian",
    "BS": "Ba-ha-mát", "BH": "Ba-ranh", "BD": "Băng-la-đét", "BB": "Bác-ba-đốt",
    "BY": "Bê-la-rút", "BE": "Bỉ", "BZ": "Bê-li-xê", "BJ": "Bê-nanh", "BT": "Bu-tan",
    "BO": "Bô-li-vi-a", "BA": "Bô-xni-a và Héc-dê-gô-vi-na", "BW": "Bốt-xoa-na",
    "BR": "Bra-xin", "BN": "Bru-nây", "BG": "Bun-ga-ri", "BF": "Buốc-ki-na Pha-xô",
    "BI": "Bu-run-đi", "CV": "Cáp-ve", "KH": "Campuchia", "CM": "Ca-mơ-run", "CA": "Ca-na-đa",
    "CF": "Cộng hòa Trung Phi", "TD": "Sát", "CL": "Chi-lê", "CN": "Trung Quốc",
    "CO": "Cô-lôm-bi-a", "KM": "Cô-mo", "CG": "Cộng hòa Công-gô",
    "CD": "Cộng hòa Dân chủ Công-gô", "CR": "Cô-xta Ri-ca", "CI": "Cốt Đi-voa",
    "HR": "Crô-a-ti-a", "CU": "Cu-ba", "CY": "Síp", "CZ": "Séc", "DK": "Đan Mạch",
    "DJ": "Gi-bu-ti", "DM": "Đô-mi-ni-ca", "DO": "Cộng hòa Đô-mi-ni-ca", "EC": "Ê-cu-a-đo",
    "EG": "Ai Cập", "SV": "En Xan-va-đo", "GQ": "Ghi-nê Xích Đạo", "ER": "Ê-ri-tơ-rê-a",
    "EE": "E-xtô-ni-a", "SZ": "E-xoa-ti-ni", "ET": "Ê-ti-ô-pi-a", "FJ": "Phi-gi",
    "FI": "Phần Lan", "FR": "Pháp", "GA": "Ga-bông", "GM": "Găm-bi-a", "GE": "Gru-di-a",
    "DE": "Đức", "GH": "Ga-na", "GR": "Hy Lạp", "GD": "Grê-na-đa", "GT": "Goa-tê-ma-la",
    "GN": "Ghi-nê", "GW": "Ghi-nê Bít-xao", "GY": "Guy-a-na", "HT": "Ha-i-ti",
    "VA": "Tòa Thánh Va-ti-căng", "HN": "Hôn-đu-rát", "HU": "Hung-ga-ri", "IS": "Ai-xơ-len",
    "IN": "Ấn Độ", "ID": "In-đô-nê-xi-a", "IR": "I-ran", "IQ": "I-rắc", "IE": "Ai-len",
    "IL": "I-xra-en", "IT": "I-ta-li-a", "JM": "Gia-mai-ca", "JP": "Nhật Bản",
    "JO": "Gioóc-đa-ni", "KZ": "Ca-dắc-xtan", "KE": "Kê-ni-a", "KI": "Ki-ri-ba-ti",
    "KP": "Triều Tiên", "KR": "Hàn Quốc", "KW": "Cô-oét", "KG": "Cư-rơ-gư-xtan", "LA": "Lào",
    "LV": "Lát-vi-a", "LB": "Li-băng", "LS": "Lê-xô-thô", "LR": "Li-bê-ri-a", "LY": "Li-bi",
    "LI": "Lích-ten-xtai-nơ", "LT": "Lít-va", "LU": "Lúc-xem-bua", "MG": "Ma-đa-gát-xca",
    "MW": "Ma-la-uy", "MY": "Ma-lai-xi-a", "MV": "Man-đi-vơ", "ML": "Ma-li", "MT": "Man-ta",
    "MH": "Quần đảo Mác-san", "MR": "Mô-ri-ta-ni", "MU": "Mô-ri-xơ", "MX": "Mê-hi-cô",
    "FM": "Mi-crô-nê-xi-a", "MD": "Môn-đô-va", "MC": "Mô-na-cô", "MN": "Mông Cổ",
    "ME": "Môn-tê-nê-grô", "MA": "Ma-rốc", "MZ": "Mô-dăm-bích", "MM": "Mi-an-ma",
    "NA": "Na-mi-bi-a", "NR": "Nau-ru", "NP": "Nê-pan", "NL": "Hà Lan", "NZ": "Niu Di-lân",
    "NI": "Ni-ca-ra-goa", "NE": "Ni-giê", "NG": "Ni-giê-ri-a", "MK": "Bắc Ma-xê-đô-ni-a",
    "NO": "Na Uy", "OM": "Ô-man", "PK": "Pa-ki-xtan", "PW": "Pa-lau", "PS": "Pa-le-xtin",
    "PA": "Pa-na-ma", "PG": "Pa-pua Niu Ghi-nê", "PY": "Pa-ra-goay", "PE": "Pê-ru",
    "PH": "Phi-líp-pin", "PL": "Ba Lan", "PT": "Bồ Đào Nha", "QA": "Ca-ta", "RO": "Ru-ma-ni",
    "RU": "Liên bang Nga", "RW": "Ru-an-đa", "KN": "Xanh Kít và Nê-vít", "LC": "Xanh Lu-xi-a",
    "VC": "Xanh Vin-xen và Grê-na-đin", "WS": "Xa-moa", "SM": "San Ma-ri-nô",
    "ST": "Xao Tô-mê và Prin-xi-pê", "SA": "A-rập Xê-út", "SN": "Xê-nê-gan",
    "RS": "Xéc-bi-a", "SC": "Xây-sen", "SL": "Xi-ê-ra Lê-ôn", "SG": "Xinh-ga-po",
    "SK": "Xlô-va-ki-a", "SI": "Xlô-ven-ni-a", "SB": "Quần đảo Xô-lô-mông", "SO": "Xô-ma-li",
    "ZA": "Nam Phi", "SS": "Nam Xu-đăng", "ES": "Tây Ban Nha", "LK": "Xri Lan-ca",
    "SD": "Xu-đăng", "SR": "Xu-ri-nam", "SE": "Thụy Điển", "CH": "Thụy Sĩ", "SY": "Xy-ri",
    "TJ": "Tát-gi-ki-xtan", "TZ": "Tan-da-ni-a", "TH": "Thái Lan", "TL": "Ti-mo Lét-xtê",
    "TG": "Tô-gô", "TO": "Tông-ga", "TT": "Tri-ni-đát và Tô-ba-gô", "TN": "Tuy-ni-di",
    "TR": "Thổ Nhĩ Kỳ", "TM": "Tuốc-mê-ni-xtan", "TV": "Tu-va-lu", "UG": "U-gan-đa",
    "UA": "U-crai-na", "AE": "Các Tiểu vương quốc A-rập Thống nhất", "GB": "Vương quốc Anh",
    "US": "Hoa Kỳ", "UY": "U-ru-goay", "UZ": "U-dơ-bê-ki-xtan", "VU": "Va-nu-a-tu",
    "VE": "Vê-nê-xu-ê-la", "VN": "Việt Nam", "YE": "Y-ê-men", "ZM": "Dăm-bi-a",
    "ZW": "Dim-ba-bu-ê",
    # Other areas.
    "TW": "Đài Loan (Trung Quốc)", "HK": "Hồng Kông (Trung Quốc)", "MO": "Ma Cao (Trung Quốc)",
    "AQ": "Nam Cực", "EH": "Tây Xa-ha-ra", "PR": "Pu-éc-tô Ri-cô", "GL": "Grin-len",
    "GU": "Đảo Guam", "NC": "Niu Ca-lê-đô-ni-a", "PF": "Pô-li-nê-di thuộc Pháp",
    "RE": "Rê-u-ni-ông", "GF": "Guy-an thuộc Pháp", "GP": "Goa-đơ-lúp", "MQ": "Mác-ti-ních",
    "YT": "Ma-i-ốt", "AS": "Xa-moa thuộc Mỹ", "MP": "Quần đảo Bắc Ma-ri-a-na",
    "IM": "Đảo Man", "BM": "Béc-mu-đa", "KY": "Quần đảo Cay-man",
    "VG": "Quần đảo Virgin thuộc Anh", "VI": "Quần đảo Virgin thuộc Mỹ",
    "CK": "Quần đảo Cook", "NU": "Niu-ê", "TK": "Tô-kê-lau", "FO": "Quần đảo Pha-rô",
    "CX": "Đảo Christmas", "CC": "Quần đảo Cocos (Keeling)", "NF": "Đảo Norfolk",
    "GI": "Gi-bran-ta", "AW": "A-ru-ba", "CW": "Cu-ra-xao", "AX": "Quần đảo Åland",
    "GG": "Guernsey", "JE": "Jersey", "FK": "Quần đảo Falkland (Malvinas)",
    "WF": "Oa-lít và Phu-tu-na", "PM": "Xanh Pi-e và Mi-cơ-lông", "BV": "Đảo Bouvet",
    "HM": "Đảo Heard và quần đảo McDonald", "TF": "Vùng đất phía Nam thuộc Pháp",
    "IO": "Lãnh thổ Ấn Độ Dương thuộc Anh", "UM": "Các đảo nhỏ xa bờ của Hoa Kỳ",
    "GS": "Nam Georgia và quần đảo Nam Sandwich", "SJ": "Svalbard và Jan Mayen",
    "SH": "Saint Helena, Ascension và Tristan da Cunha", "AI": "Anguilla",
    "MS": "Montserrat", "TC": "Quần đảo Turks và Caicos", "PN": "Quần đảo Pitcairn",
    "BL": "Saint Barthélemy", "MF": "Saint Martin (phần thuộc Pháp)",
    "SX": "Sint Maarten (phần thuộc Hà Lan)", "BQ": "Bonaire, Sint Eustatius và Saba",
}

# English common names where the ISO short name is a "Name, qualifier" form.
EN = {
    "BO": "Bolivia", "IR": "Iran", "KR": "South Korea", "KP": "North Korea", "LA": "Laos",
    "MD": "Moldova", "SY": "Syria", "TW": "Taiwan", "TZ": "Tanzania", "VE": "Venezuela",
    "VN": "Vietnam", "RU": "Russia", "FM": "Micronesia", "PS": "Palestine",
    "VA": "Holy See (Vatican)", "BN": "Brunei", "CD": "Congo (Democratic Republic)",
    "CG": "Congo (Republic)", "VG": "British Virgin Islands", "VI": "U.S. Virgin Islands",
}


def nfc(s):
    return unicodedata.normalize("NFC", s)


def main():
    rows = json.load(open(SRC, encoding="utf-8"))["3166-1"]
    if "--missing" in sys.argv:
        for r in rows:
            if r["alpha_2"] not in VI:
                print(r["alpha_2"], r["name"])
        return
    unknown = set(VI) - {r["alpha_2"] for r in rows}
    assert not unknown, unknown
    rows.sort(key=lambda r: r["alpha_2"])
    with open(OUT, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["alpha2", "alpha3", "numeric", "name_en", "official_name_en", "name_vi"])
        for r in rows:
            a2 = r["alpha_2"]
            name_en = EN.get(a2) or r.get("common_name") or r["name"]
            official = r.get("official_name", r["name"])
            w.writerow([a2, r["alpha_3"], r["numeric"], nfc(name_en), nfc(official),
                        nfc(VI.get(a2, name_en))])


if __name__ == "__main__":
    main()
