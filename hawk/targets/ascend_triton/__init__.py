"""Target `ascend-triton`: Triton kernels for Ascend, compiled by the real triton-ascend + bishengir
pipeline, checked numerically by upstream Triton's interpreter, timed by an estimate built on the
compiled IR (labelled as such everywhere). See target.py for the flow and estimate.py for the model."""
