namespace Envship.Core.Conda;

/// <summary>A Python package whose code lives outside the prefix, so packing the prefix would leave it behind.</summary>
/// <param name="PackageName">Distribution name (or the name derived from the .pth / .egg-link file).</param>
/// <param name="Evidence">Prefix-relative path (forward slashes) of the file that shows the editable install.</param>
/// <param name="PointsTo">The location outside the prefix that the package is loaded from.</param>
public sealed record EditableInstall(string PackageName, string Evidence, string PointsTo);
