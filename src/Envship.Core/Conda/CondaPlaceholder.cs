namespace Envship.Core.Conda;

/// <summary>The build prefix a file embeds and how it must be rewritten (<c>text</c> or <c>binary</c>).</summary>
public sealed record CondaPlaceholder(string PrefixPlaceholder, string FileMode);
