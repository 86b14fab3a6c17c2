"""How metric values read: 1200000.0000 → "1,200,000"; 67.3000 → "67.3"."""

from decimal import Decimal


def metric(value: Decimal | float | int | None) -> str:
    """Thousands separators, no trailing zeros, never scientific notation."""
    if value is None or value == "":
        return "—"
    return f"{Decimal(str(value)):,.4f}".rstrip("0").rstrip(".")
