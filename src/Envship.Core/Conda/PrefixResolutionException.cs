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
}
