#!/usr/bin/env python3
"""Generate provinces.csv (34, from 1 July 2025) and old_provinces.csv (63, before) from the
`vietnamadminunits` PyPI package (MIT, (c) 2025 Tran Ngoc Minh Hieu).

    pip download --no-deps -d /tmp/vau vietnamadminunits && (cd /tmp/vau && unzip -o *.whl)
    python3 gen_provinces.py /tmp/vau/vietnamadminunits/data > /dev/null

Writes next to this script's parent directory (crates/baoho-domain/refdata/). English names and
aliases are hand-maintained below; everything else comes from the dataset.
"""
import csv
import json
import os
import sqlite3
import sys
import unicodedata

DATA = sys.argv[1] if len(sys.argv) > 1 else "/tmp/vau/vietnamadminunits/data"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")

EN_SPECIAL = {
    "Hà Nội": "Hanoi",
    "Hồ Chí Minh": "Ho Chi Minh City",
    "Huế": "Hue",
    "Đà Nẵng": "Da Nang",
    "Hải Phòng": "Hai Phong",
    "Cần Thơ": "Can Tho",
}

# Extra names a user may type, semicolon-separated in the CSV. Keep these to unambiguous names.
ALIASES_NEW = {
    "01": ["Hà Nội", "HN"],
    "79": ["TP HCM", "TPHCM", "HCM", "HCMC", "Sài Gòn", "Saigon", "TP Sài Gòn"],
    "46": ["Huế"],
}
ALIASES_OLD = {
    # Hà Tây merged into Hà Nội on 1 August 2008.
    "01": ["Hà Tây", "Tỉnh Hà Tây"],
    "46": ["Thừa Thiên Huế", "Tỉnh Thừa Thiên Huế", "Thừa Thiên - Huế", "TT Huế", "TT-Huế"],
    "77": ["Bà Rịa Vũng Tàu", "Vũng Tàu", "Bà Rịa", "BR-VT", "BRVT"],
    "66": ["Đắc Lắc", "Đắk Lắc", "Daklak"],
    "67": ["Đắc Nông", "Daknong"],
    "06": ["Bắc Cạn"],
    "62": ["Kontum"],
}
NOTES_OLD = {
    "01": "Hà Tây (merged into Hà Nội 2008) is an alias",
    "46": "Tỉnh Thừa Thiên Huế until 31 Dec 2024; centrally-run city from 1 Jan 2025",
}


def ascii_name(s):
    s = s.replace("Đ", "D").replace("đ", "d")
    return "".join(c for c in unicodedata.normalize("NFD", s) if not unicodedata.combining(c))


def en(short):
    return EN_SPECIAL.get(short, ascii_name(short))


def kind(full):
    return "city" if full.startswith("Thành phố") else "province"


def nfc(s):
    return unicodedata.normalize("NFC", s)


def main():
    db = sqlite3.connect(os.path.join(DATA, "dataset.db"))
    new = db.execute(
        "select distinct provinceCode, province, provinceShort, provinceLat, provinceLon, provinceKey "
        "from admin_units order by provinceCode").fetchall()
    old = db.execute(
        "select distinct provinceCode, province, provinceShort, provinceLat, provinceLon, provinceKey "
        "from admin_units_legacy order by provinceCode").fetchall()
    assert len(new) == 34 and len(old) == 63, (len(new), len(old))
    mapping = json.load(open(os.path.join(DATA, "converter_2025.json")))["DICT_PROVINCE"]
    new_by_key = {r[5]: r[0] for r in new}
    old_to_new = {}
    for new_key, old_keys in mapping.items():
        for k in old_keys:
            assert k not in old_to_new, k
            old_to_new[k] = new_by_key[new_key]

    with open(os.path.join(OUT, "provinces.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["code", "name_vi", "short_vi", "name_en", "kind", "lat", "lon", "aliases"])
        for code, full, short, lat, lon, _ in new:
            w.writerow([code, nfc(full), nfc(short), en(short), kind(full), lat, lon,
                        ";".join(ALIASES_NEW.get(code, []))])
    with open(os.path.join(OUT, "old_provinces.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["code", "name_vi", "short_vi", "name_en", "kind", "new_code", "lat", "lon",
                    "aliases", "note"])
        for code, full, short, lat, lon, key in old:
            w.writerow([code, nfc(full), nfc(short), en(short), kind(full), old_to_new[key],
                        lat, lon, ";".join(ALIASES_OLD.get(code, [])), NOTES_OLD.get(code, "")])


if __name__ == "__main__":
    main()
