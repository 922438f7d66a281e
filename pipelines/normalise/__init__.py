"""Pure normalisers: raw value in, normalised value or ``None`` out (``*_with_reason`` variants say why)."""
