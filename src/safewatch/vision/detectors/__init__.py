"""Person detectors: the shipped SSD default and an ONNX option, behind one port."""
