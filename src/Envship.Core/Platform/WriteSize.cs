namespace Envship.Core.Platform;

/// <summary>The largest single write envship hands to a file it is filling.</summary>
internal static class WriteSize
{
    /// <summary>
    /// ext4 (and XFS) cache a large write in folios as large as the write. On a VM whose free memory is
    /// handed back to the hypervisor in 2 MiB blocks, every such folio is a fresh block the host must
    /// fault in: writing 600 MB took 0.8 to 1.1 s in 1 MiB writes and 0.11 s in 256 KiB writes, measured
    /// on the benchmark machine. Smaller writes cost more syscalls for no gain.
    /// </summary>
    public const int Max = 256 << 10;
}
