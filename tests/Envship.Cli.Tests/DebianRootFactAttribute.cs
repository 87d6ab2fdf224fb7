using Envship.Testing;

namespace Envship.Cli.Tests;

/// <summary>A fact that needs a <see cref="DebianRoot"/>; skipped, with the reason, where none can be built or entered.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class DebianRootFactAttribute : FactAttribute
{
    public DebianRootFactAttribute()
    {
        Skip = DebianRoot.UnavailableReason();
    }
}
