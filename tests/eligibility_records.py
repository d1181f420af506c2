"""Facts shared by the eligibility tests of the API and the admin."""

# Meets 63号 Annex 1 (创新型) through its high-tech certificate and every other 2026 专精特新 condition,
# but holds no 创新型 title: assessed in 2026, it is one step — obtaining that title — from 专精特新.
QUALIFIES_FOR_INNOVATIVE_METRICS = [
    {"fiscal_year": 2024, "revenue": 20_000_000, "rd_expense": 1_000_000},
    {
        "fiscal_year": 2025,
        "revenue": 20_000_000,
        "main_business_revenue": 19_000_000,
        "rd_expense": 1_000_000,
        "employees": 100,
        "total_assets": 10_000_000,
        "total_liabilities": 5_000_000,
        "ip_class1": 1,
        "platform_score": 70,
        "compliance_ok": True,
        "high_tech_certified": True,
        "market_position_leading": True,
    },
]
