"""ONNX export of the networks, for onnxruntime (issue 9, in progress)."""
