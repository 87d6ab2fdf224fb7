using System.Runtime.Versioning;

// envship deploys POSIX prefixes (modes, symlinks, rename(2)); Windows is not a target.
[assembly: UnsupportedOSPlatform("windows")]
