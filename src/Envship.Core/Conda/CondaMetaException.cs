namespace Envship.Core.Conda;

/// <summary>A conda-meta record could not be read or parsed.</summary>
public sealed class CondaMetaException : Exception
{
    public CondaMetaException()
    {
    }

    public CondaMetaException(string message)
        : base(message)
    {
    }

    public CondaMetaException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The record file that failed, when known.</summary>
    public string? FilePath { get; init; }
}
