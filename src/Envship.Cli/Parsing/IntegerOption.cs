using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Envship.Cli.Parsing;

/// <summary>
/// An integer option whose errors name the flag as typed and the values it takes, instead of the
/// parser's "as expected type 'System.Int32'". Null when the flag is absent.
/// </summary>
internal static class IntegerOption
{
    /// <param name="check">Returns what the values must be when <c>value</c> is out of range, or null when it is fine.</param>
    public static Option<int?> Create(string name, string? alias, string description, Func<int, string?>? check = null)
    {
        var option = alias is null ? new Option<int?>(name) : new Option<int?>(name, alias);
        option.Description = description;
        option.CustomParser = result =>
        {
            var flag = (result.Parent as OptionResult)?.IdentifierToken?.Value ?? name;
            var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
            if (!int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
            {
                result.AddError($"{flag}: expected an integer, got '{text}'.");
                return null;
            }

            if (check?.Invoke(value) is { } allowed)
            {
                result.AddError($"{flag}: expected {allowed}; got {value}.");
                return null;
            }

            return value;
        };
        return option;
    }
}
