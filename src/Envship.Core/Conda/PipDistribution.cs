namespace Envship.Core.Conda;

/// <summary>A Python distribution installed by pip (or another installer) as a <c>*.dist-info</c> directory.</summary>
/// <param name="Name">The <c>Name:</c> header of METADATA (falls back to the directory name).</param>
/// <param name="Version">The <c>Version:</c> header of METADATA (falls back to the directory name).</param>
/// <param name="Installer">First line of INSTALLER (<c>pip</c>, <c>conda</c>, <c>uv</c>, ...), when present.</param>
/// <param name="DistInfoPath">Full path of the <c>*.dist-info</c> directory.</param>
/// <param name="IsEditable">PEP 610 <c>direct_url.json</c> says <c>dir_info.editable</c>.</param>
/// <param name="EditableLocation">Local path of the editable source (the <c>file://</c> URL as a path).</param>
public sealed record PipDistribution(
    string Name,
    string Version,
    string? Installer,
    string DistInfoPath,
    bool IsEditable,
    string? EditableLocation);
