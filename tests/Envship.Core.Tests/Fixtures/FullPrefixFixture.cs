using System.Diagnostics;
using Envship.Testing;

namespace Envship.Core.Tests.Fixtures;

/// <summary>One full environment (python, greeter, tight, real packages) shared by a test class.</summary>
public sealed class FullPrefixFixture : IDisposable
{
    private readonly TempDirectory _root = new("envship-full-");

    public FullPrefixFixture()
    {
        var stopwatch = Stopwatch.StartNew();
        Built = CondaPrefixBuilder.Build(_root.Combine("env"), new CondaPrefixOptions
        {
            WithPython = true,
            WithElf = true,
            WithTightElf = true,
            WithRealPackages = true,
            PkgsCacheDirectory = _root.Combine("pkgs"),
        });
        BuildTime = stopwatch.Elapsed;
    }

    public BuiltPrefix Built { get; }

    public TimeSpan BuildTime { get; }

    public string Prefix => Built.Prefix;

    public void Dispose() => _root.Dispose();
}
