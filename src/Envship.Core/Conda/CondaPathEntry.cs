namespace Envship.Core.Conda;

/// <summary>One entry of a conda-meta record's <c>paths_data.paths</c> list.</summary>
/// <param name="Path">Path relative to the prefix (the <c>_path</c> key).</param>
/// <param name="PathType"><c>hardlink</c>, <c>softlink</c>, <c>directory</c>, ... (empty when missing).</param>
/// <param name="PrefixPlaceholder">The build prefix embedded in the file, when it has one.</param>
/// <param name="FileMode"><c>text</c> or <c>binary</c>, when the file has a placeholder.</param>
/// <param name="Sha256">Hash of the file as shipped in the package.</param>
/// <param name="Sha256InPrefix">Hash of the file after the placeholder was replaced at install time.</param>
/// <param name="SizeInBytes">Size of the file as shipped in the package.</param>
public sealed record CondaPathEntry(
    string Path,
    string PathType,
    string? PrefixPlaceholder,
    string? FileMode,
    string? Sha256,
    string? Sha256InPrefix,
    long? SizeInBytes);
