namespace Envship.Core.Exports;

public enum ExportFormat
{
    EnvironmentYml,
    Explicit,
    CycloneDx,
    Spdx,
}

/// <param name="NoBuilds">environment.yml: <c>name=version</c> instead of <c>name=version=build</c>.</param>
/// <param name="FromHistory">environment.yml: only the specs the user asked for, from conda-meta/history.</param>
public sealed record ExportOptions(bool NoBuilds = false, bool FromHistory = false);
