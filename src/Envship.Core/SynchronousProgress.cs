namespace Envship.Core;

/// <summary>Reports on the calling thread, in order, unlike <see cref="Progress{T}"/>, which posts to the thread pool.</summary>
public sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
