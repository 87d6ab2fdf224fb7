using System.Text;

namespace Envship.Core.Exports;

/// <summary>An <c>@EXPLICIT</c> file as <c>conda list --explicit --md5</c> writes it, in dependency order.</summary>
public static class ExplicitExporter
{
    public static string Render(ExportEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var text = new StringBuilder()
            .Append("# This file may be used to create an environment using:\n")
            .Append("# $ conda create --name <env> --file <this file>\n")
            .Append("# platform: ").Append(environment.Subdir).Append('\n')
            .Append("@EXPLICIT\n");
        foreach (var package in DependencyOrder.Sort(environment.Packages))
        {
            if (package.Url is not { Length: > 0 } url)
            {
                // conda cannot fetch a package without a URL; say so rather than drop it silently.
                text.Append("# no URL recorded for ").Append(package.Name).Append('-').Append(package.Version).Append('-').Append(package.Build).Append('\n');
                continue;
            }

            text.Append(url);
            if (package.Md5 is { Length: > 0 } md5)
            {
                text.Append('#').Append(md5);
            }

            text.Append('\n');
        }

        return text.ToString();
    }
}
