using Envship.Testing;

namespace Envship.Core.Tests.Conda;

/// <summary>The real osx-arm64 environment in the shared fixtures (read-only).</summary>
internal static class RealEnvironment
{
    public static string Prefix => Path.Combine(FixturePaths.RealCondaMeta, "envpy313tosx_whl");

    public static string MetaDir => Path.Combine(Prefix, "conda-meta");

    public static string RecordPath(string fileName) => Path.Combine(MetaDir, fileName);

    public const string PythonRecord = "python-3.13.2-hfd29fff_1_cp313t.json";
}
