using Envship.Core.Trust;

namespace Envship.Core.Tests.Trust;

public sealed class ScryptCostTests
{
    /// <summary>Expected values follow libsodium's pickparams by hand; a different mapping would derive another keystream.</summary>
    [Theory]
    [InlineData(33_554_432UL, 1_073_741_824UL, 20, 1)] // minisign -G: N=2^20, 1 GiB
    [InlineData(1_048_576UL, 67_108_864UL, 15, 1)] // ops-bound: N from opslimit/32
    [InlineData(32_768UL, 2_097_152UL, 10, 1)] // the smallest opslimit libsodium allows
    [InlineData(1_000UL, 2_097_152UL, 10, 1)] // opslimit below 32768 is raised to it
    [InlineData(536_870_912UL, 16_777_216UL, 14, 1024)] // memory-bound: N from memlimit, p from the rest
    [InlineData(32_768UL, 32_768UL, 5, 32)]
    public void Limits_map_to_scrypt_parameters_like_libsodium(ulong ops, ulong mem, int logN, int p)
    {
        Assert.Equal((logN, 8, p), new ScryptCost(ops, mem).Parameters());
    }
}
