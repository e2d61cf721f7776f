"""Engine sessions, one module per transport (`realtime`, `ws`, `sse`, `webrtc`; the
first two share `messages`), the `Session` shape and shared rules in `base`, and the
`registry` that maps transport names to them."""
