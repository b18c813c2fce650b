"""Nothing registered goes untested: every kernel family in the registry is claimed by a test module
that runs each of its kernels against torch (that module's FAMILIES)."""
import fastnn
import test_activations
import test_ceilings
import test_conv
import test_gemm_kernels
import test_losses
import test_norm
import test_optim
import test_pool
import test_relu_kernels
import test_rnn
import test_softmax

TESTED_FAMILIES = (set(test_relu_kernels.FAMILIES) | set(test_ceilings.FAMILIES)
                  | set(test_gemm_kernels.FAMILIES) | set(test_pool.FAMILIES)
                  | set(test_conv.FAMILIES) | set(test_softmax.FAMILIES) | set(test_activations.FAMILIES)
                  | set(test_losses.FAMILIES) | set(test_optim.FAMILIES) | set(test_norm.FAMILIES)
                  | set(test_rnn.FAMILIES))


def test_every_registered_family_has_kernel_tests():
    registered = {k["family"] for k in fastnn.list_kernels()}
    untested = registered - TESTED_FAMILIES
    assert not untested, f"kernel families without a kernel test module: {sorted(untested)}"
    assert not TESTED_FAMILIES - registered, "a test module claims a family the registry does not have"
