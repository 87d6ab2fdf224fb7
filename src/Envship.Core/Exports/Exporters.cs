using System.Text;

namespace Envship.Core.Exports;

/// <summary>Renders one environment in any export format, and names the files embedded in archives.</summary>
public static class Exporters
{
    /// <summary>The directory under <c>.envship/</c> that holds one environment's embedded exports.</summary>
    public const string EmbeddedDirectory = "exports";

    public const string RecordsFileName = "records.json";

    public static byte[] Render(ExportFormat format, ExportEnvironment environment, ExportOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return format switch
        {
            ExportFormat.EnvironmentYml => EnvironmentYamlExporter.RenderUtf8(environment, options),
            ExportFormat.Explicit => Encoding.UTF8.GetBytes(ExplicitExporter.Render(environment)),
            ExportFormat.CycloneDx => CycloneDxExporter.Render(environment),
            ExportFormat.Spdx => SpdxExporter.Render(environment),
            _ => throw new ArgumentOutOfRangeException(nameof(format), format, "Unknown export format."),
        };
    }

    /// <summary>The file name a format is embedded under, and the default for <c>envship export</c>.</summary>
    public static string FileName(ExportFormat format) => format switch
    {
        ExportFormat.EnvironmentYml => "environment.yml",
        ExportFormat.Explicit => "explicit.txt",
        ExportFormat.CycloneDx => "sbom.cdx.json",
        ExportFormat.Spdx => "sbom.spdx.json",
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "Unknown export format."),
    };

    /// <summary>Parses the <c>--format</c> value; null when it is not one of the formats.</summary>
    public static ExportFormat? Parse(string value) => value switch
    {
        "environment.yml" or "yml" or "yaml" => ExportFormat.EnvironmentYml,
        "explicit" => ExportFormat.Explicit,
        "cyclonedx" or "cdx" => ExportFormat.CycloneDx,
        "spdx" => ExportFormat.Spdx,
        _ => null,
    };

    /// <summary>
    /// The <c>.envship/</c> members written right after the manifest: for each environment, its export
    /// model and every format rendered from it, so an archive carries its own audit trail.
    /// </summary>
    public static IReadOnlyList<(string Name, byte[] Content)> Embedded(IEnumerable<ExportEnvironment> environments)
    {
        ArgumentNullException.ThrowIfNull(environments);
        var members = new List<(string, byte[])>();
        foreach (var environment in environments)
        {
            var directory = $".envship/{EmbeddedDirectory}/{environment.Name}/";
            members.Add((directory + RecordsFileName, ExportJson.Serialize(environment)));
            foreach (var format in Enum.GetValues<ExportFormat>())
            {
                members.Add((directory + FileName(format), Render(format, environment, new ExportOptions())));
            }
        }

        return members;
    }
}
