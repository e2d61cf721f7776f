"""The mock's apps, one module each, addressed like fal apps as `mock/{alias}`."""
