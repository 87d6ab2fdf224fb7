namespace Envship.Core.Conda;

/// <summary>The environment to pack could not be determined; the message says what to pass instead.</summary>
public sealed class PrefixResolutionException : Exception
{
    public PrefixResolutionException()
    {
    }

    public PrefixResolutionException(string message)
        : base(message)
    {
    }

    public PrefixResolutionException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public PrefixResolutionException(ExitCode code, string message)
        : base(message)
    {
        Code = code;
    }

    /// <summary><see cref="ExitCode.Usage"/> when nothing usable was named; <see cref="ExitCode.InvalidEnvironment"/> when a directory was found but is not a conda environment.</summary>
    public ExitCode Code { get; } = ExitCode.Usage;
}
