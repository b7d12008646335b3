"""ONNX export of the networks (``avatar export onnx``) and the onnxruntime backend (``backend: onnx``)."""
