"""Engine, transports, codecs and metrics: no Qt imports here."""
