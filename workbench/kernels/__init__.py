"""The numerical core shared by the kernel models: the NTK, the linear algebra, the memory plans.

* :mod:`workbench.kernels.ntk`: the neural tangent kernel of a fully connected ReLU network between
  users, in closed form (docs/infinite_ae.md);
* :mod:`workbench.kernels.linalg`: one algebra, two back-ends (SciPy/NumPy on the CPU, JAX anywhere),
  for Gram matrices, Cholesky solves and products;
* :mod:`workbench.kernels.blocked_linalg`: an in-place blocked Cholesky factor and inverse whose large
  steps are multi-threaded BLAS-3 calls;
* :mod:`workbench.kernels.memory`: what a computation will need, estimated before it allocates.
"""
