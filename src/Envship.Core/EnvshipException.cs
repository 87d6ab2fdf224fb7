namespace Envship.Core;

/// <summary>
/// The one table of process exit codes. The CLI returns these; the README documents them.
/// Values are stable: scripts test for them.
/// </summary>
public enum ExitCode
{
    Success = 0,
    Unexpected = 1,

    /// <summary>Bad arguments (parse errors, values out of range, an output name envship cannot write), or a path that is not what the command needs.</summary>
    Usage = 2,

    /// <summary>The environment cannot be packed as it is: not a conda prefix, an editable install, conda-managed files missing.</summary>
    InvalidEnvironment = 3,

    /// <summary>The output or destination already exists and would be overwritten.</summary>
    DestinationExists = 4,

    /// <summary><c>verify</c> found modified, missing or added files.</summary>
    Drift = 5,

    /// <summary>The archive is damaged, truncated or inconsistent with its manifest.</summary>
    DamagedArchive = 6,

    /// <summary>The archive was made for another OS or CPU.</summary>
    PlatformMismatch = 7,

    /// <summary><c>--strict</c>: a binary string cannot hold the destination path.</summary>
    RelocationImpossible = 8,

    /// <summary>A check before writing failed: the host's glibc is older than the environment needs, or the destination's filesystem lacks space.</summary>
    PreflightFailed = 9,

    /// <summary>Reading or writing failed (disk full, permission denied).</summary>
    IoFailure = 10,

    /// <summary>Another deploy or rollback holds the destination's lock (retry, or pass <c>--wait</c>).</summary>
    Locked = 11,

    /// <summary><c>rollback</c>: no previous version is kept beside the destination.</summary>
    NoPreviousVersion = 12,

    /// <summary>The environment needs a newer CUDA than this machine's NVIDIA driver supports (unless <c>--ignore-cuda</c>).</summary>
    CudaDriverTooOld = 13,

    /// <summary>The signature was made by a key that is not among the trusted public keys.</summary>
    UnknownKey = 20,

    /// <summary>The signature does not match the file: the file was modified, or the signature is damaged or refused.</summary>
    BadSignature = 21,

    /// <summary>The file's signature is good but its trusted comment was changed after signing.</summary>
    TrustedCommentModified = 22,

    /// <summary>The signature file (<c>FILE.minisig</c>) does not exist.</summary>
    SignatureMissing = 23,

    /// <summary>A key file is damaged or of an unsupported kind, or the password does not decrypt the secret key.</summary>
    BadKey = 24,

    /// <summary>A registry or server wants credentials that were not given, or refused the ones given (HTTP 401 or 403).</summary>
    RegistryAuth = 30,

    /// <summary>A registry or server cannot be reached or failed: DNS, connection, TLS, an HTTP 5xx, or a transfer dropped and not resumed.</summary>
    RemoteUnavailable = 31,

    /// <summary>The tag, digest, repository or URL does not exist on the registry or server (HTTP 404).</summary>
    RemoteNotFound = 32,

    /// <summary>SIGHUP (a dropped SSH session) stopped the command; 128 + the signal's number, as shells report it. Nothing is left behind.</summary>
    HungUp = 129,

    /// <summary>SIGINT or SIGTERM stopped the command. Nothing is left behind.</summary>
    Interrupted = 130,
}

/// <summary>An error the user can act on: the message names the file, the cause and the fix.</summary>
public sealed class EnvshipException : Exception
{
    public EnvshipException(ExitCode code, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Code = code;
    }

    public EnvshipException()
    {
    }

    public EnvshipException(string message)
        : base(message)
    {
    }

    public EnvshipException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public ExitCode Code { get; } = ExitCode.Unexpected;
}
