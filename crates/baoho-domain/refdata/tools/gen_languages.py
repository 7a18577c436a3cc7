#!/usr/bin/env python3
"""Generate languages.csv: the languages a consular service meets.

ISO 639-1 and 639-3 codes and the English reference name come from Debian's iso-codes
(/usr/share/iso-codes/json/iso_639-3.json, LGPL-2.1+); the English display name, the Vietnamese
name and the native name (autonym) are hand-maintained below.

    python3 gen_languages.py   # writes ../languages.csv
"""
import csv
import json
import os
import unicodedata

SRC = "/usr/share/iso-codes/json/iso_639-3.json"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "languages.csv")

# ISO 639-1, English display name, Vietnamese name, native name.
LANGS = [
    ("vi", "Vietnamese", "Tiếng Việt", "Tiếng Việt"),
    ("en", "English", "Tiếng Anh", "English"),
    ("zh", "Chinese", "Tiếng Trung", "中文"),
    ("ja", "Japanese", "Tiếng Nhật", "日本語"),
    ("ko", "Korean", "Tiếng Hàn", "한국어"),
    ("km", "Khmer", "Tiếng Khmer", "ភាសាខ្មែរ"),
    ("lo", "Lao", "Tiếng Lào", "ພາສາລາວ"),
    ("th", "Thai", "Tiếng Thái", "ภาษาไทย"),
    ("my", "Burmese", "Tiếng Miến Điện", "မြန်မာဘာသာ"),
    ("ms", "Malay", "Tiếng Mã Lai", "Bahasa Melayu"),
    ("id", "Indonesian", "Tiếng Indonesia", "Bahasa Indonesia"),
    ("tl", "Tagalog (Filipino)", "Tiếng Tagalog (Philippines)", "Tagalog"),
    ("hi", "Hindi", "Tiếng Hindi", "हिन्दी"),
    ("bn", "Bengali", "Tiếng Bengal", "বাংলা"),
    ("ur", "Urdu", "Tiếng Urdu", "اردو"),
    ("ne", "Nepali", "Tiếng Nepal", "नेपाली"),
    ("si", "Sinhala", "Tiếng Sinhala", "සිංහල"),
    ("ta", "Tamil", "Tiếng Tamil", "தமிழ்"),
    ("mn", "Mongolian", "Tiếng Mông Cổ", "Монгол хэл"),
    ("kk", "Kazakh", "Tiếng Kazakh", "Қазақ тілі"),
    ("uz", "Uzbek", "Tiếng Uzbek", "Oʻzbekcha"),
    ("ru", "Russian", "Tiếng Nga", "Русский"),
    ("uk", "Ukrainian", "Tiếng Ukraina", "Українська"),
    ("be", "Belarusian", "Tiếng Belarus", "Беларуская"),
    ("ar", "Arabic", "Tiếng Ả Rập", "العربية"),
    ("he", "Hebrew", "Tiếng Do Thái (Hebrew)", "עברית"),
    ("fa", "Persian", "Tiếng Ba Tư", "فارسی"),
    ("tr", "Turkish", "Tiếng Thổ Nhĩ Kỳ", "Türkçe"),
    ("fr", "French", "Tiếng Pháp", "Français"),
    ("de", "German", "Tiếng Đức", "Deutsch"),
    ("es", "Spanish", "Tiếng Tây Ban Nha", "Español"),
    ("pt", "Portuguese", "Tiếng Bồ Đào Nha", "Português"),
    ("it", "Italian", "Tiếng Ý", "Italiano"),
    ("nl", "Dutch", "Tiếng Hà Lan", "Nederlands"),
    ("pl", "Polish", "Tiếng Ba Lan", "Polski"),
    ("cs", "Czech", "Tiếng Séc", "Čeština"),
    ("sk", "Slovak", "Tiếng Slovakia", "Slovenčina"),
    ("hu", "Hungarian", "Tiếng Hungary", "Magyar"),
    ("ro", "Romanian", "Tiếng Romania", "Română"),
    ("bg", "Bulgarian", "Tiếng Bulgaria", "Български"),
    ("sr", "Serbian", "Tiếng Serbia", "Српски"),
    ("hr", "Croatian", "Tiếng Croatia", "Hrvatski"),
    ("el", "Greek", "Tiếng Hy Lạp", "Ελληνικά"),
    ("sv", "Swedish", "Tiếng Thụy Điển", "Svenska"),
    ("no", "Norwegian", "Tiếng Na Uy", "Norsk"),
    ("da", "Danish", "Tiếng Đan Mạch", "Dansk"),
    ("fi", "Finnish", "Tiếng Phần Lan", "Suomi"),
    ("sw", "Swahili", "Tiếng Swahili", "Kiswahili"),
    ("am", "Amharic", "Tiếng Amhara", "አማርኛ"),
]


def nfc(s):
    return unicodedata.normalize("NFC", s)


def main():
    iso = {r["alpha_2"]: r for r in json.load(open(SRC, encoding="utf-8"))["639-3"]
           if "alpha_2" in r}
    with open(OUT, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["code", "code3", "name_en", "name_vi", "name_native"])
        seen = set()
        for code, en, vi, native in LANGS:
            assert code in iso, code
            assert code not in seen, code
            seen.add(code)
            w.writerow([code, iso[code]["alpha_3"], nfc(en), nfc(vi), nfc(native)])


if __name__ == "__main__":
    main()
