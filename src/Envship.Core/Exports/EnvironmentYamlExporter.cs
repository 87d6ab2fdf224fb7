using System.Text;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Envship.Core.Exports;

/// <summary>An <c>environment.yml</c> in the shape <c>conda env export</c> writes.</summary>
public static class EnvironmentYamlExporter
{
    public static string Render(ExportEnvironment environment, ExportOptions options)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(options);
        using var text = new StringWriter();
        var emitter = new Emitter(text, new EmitterSettings().WithIndentedSequences());
        emitter.Emit(new StreamStart());
        emitter.Emit(new DocumentStart(null, null, isImplicit: true));
        emitter.Emit(new MappingStart());
        Scalar(emitter, "name");
        Scalar(emitter, environment.Name);

        Scalar(emitter, "channels");
        Sequence(emitter, environment.Packages.Select(p => p.Channel).Where(c => c.Length > 0).Distinct(StringComparer.Ordinal));

        Scalar(emitter, "dependencies");
        emitter.Emit(new SequenceStart(null, null, false, SequenceStyle.Block));
        if (options.FromHistory)
        {
            foreach (var spec in environment.RequestedSpecs)
            {
                Scalar(emitter, spec);
            }
        }
        else
        {
            foreach (var package in environment.Packages.OrderBy(p => p.Name, StringComparer.Ordinal))
            {
                Scalar(emitter, options.NoBuilds ? $"{package.Name}={package.Version}" : $"{package.Name}={package.Version}={package.Build}");
            }

            if (environment.PipDistributions.Count > 0)
            {
                emitter.Emit(new MappingStart());
                Scalar(emitter, "pip");
                Sequence(emitter, environment.PipDistributions.Select(d => $"{d.Name}=={d.Version}"));
                emitter.Emit(new MappingEnd());
            }
        }

        emitter.Emit(new SequenceEnd());
        Scalar(emitter, "prefix");
        Scalar(emitter, environment.Prefix);
        emitter.Emit(new MappingEnd());
        emitter.Emit(new DocumentEnd(isImplicit: true));
        emitter.Emit(new StreamEnd());
        return text.ToString().ReplaceLineEndings("\n");
    }

    public static byte[] RenderUtf8(ExportEnvironment environment, ExportOptions options) =>
        Encoding.UTF8.GetBytes(Render(environment, options));

    private static void Scalar(Emitter emitter, string value) => emitter.Emit(new Scalar(value));

    private static void Sequence(Emitter emitter, IEnumerable<string> values)
    {
        emitter.Emit(new SequenceStart(null, null, false, SequenceStyle.Block));
        foreach (var value in values)
        {
            Scalar(emitter, value);
        }

        emitter.Emit(new SequenceEnd());
    }
}
