"""Field extraction: finding and normalising field values in OCR text. No Django here."""
