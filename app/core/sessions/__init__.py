"""Engine sessions, one module per transport; `registry` maps transport names to them."""
