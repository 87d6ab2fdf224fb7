using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Envship.Core.Relocation;

/// <summary>A parsed "#!" line.</summary>
/// <param name="Interpreter">First whitespace-delimited token after "#!".</param>
/// <param name="Arguments">Everything after the interpreter, trimmed; may be empty.</param>
/// <param name="LineLength">Bytes of the first line including its '\n' (the whole data when there is none).</param>
public sealed record Shebang(string Interpreter, string Arguments, int LineLength);

/// <summary>
/// Rewrites a script's shebang for a new prefix while respecting the kernel's line-length limit,
/// falling back to a /bin/sh trampoline for python or /usr/bin/env for anything else.
/// </summary>
public static class ShebangRewriter
{
    /// <summary>Linux reads at most this many bytes of the first line (excluding the newline).</summary>
    public const int MaxShebangLength = 127;

    private static ReadOnlySpan<byte> Magic => "#!"u8;

    public static bool TryParse(ReadOnlySpan<byte> data, [MaybeNullWhen(false)] out Shebang shebang)
    {
        shebang = null;
        if (!data.StartsWith(Magic))
        {
            return false;
        }

        var newline = data.IndexOf((byte)'\n');
        var lineLength = newline < 0 ? data.Length : newline + 1;
        var body = data[Magic.Length..(newline < 0 ? data.Length : newline)];
        body = body.TrimStart(" \t"u8);
        var interpreterEnd = body.IndexOfAny(" \t\r\f\v"u8);
        var interpreter = interpreterEnd < 0 ? body : body[..interpreterEnd];
        if (interpreter.IsEmpty)
        {
            return false;
        }

        var arguments = interpreterEnd < 0 ? [] : body[interpreterEnd..].Trim(" \t\r\f\v"u8);
        shebang = new Shebang(Encoding.UTF8.GetString(interpreter), Encoding.UTF8.GetString(arguments), lineLength);
        return true;
    }

    /// <summary>Returns the bytes that replace the first line, always ending in '\n'.</summary>
    public static byte[] Rewrite(Shebang shebang, string sourcePrefix, string destinationPrefix)
    {
        ArgumentNullException.ThrowIfNull(shebang);
        ArgumentException.ThrowIfNullOrEmpty(sourcePrefix);
        ArgumentNullException.ThrowIfNull(destinationPrefix);

        var source = PrefixPath.Normalize(sourcePrefix);
        var destination = PrefixPath.Normalize(destinationPrefix);

        // Arguments may name files in the prefix too (e.g. "-S /prefix/bin/tool"); conda's text rule
        // would rewrite them anywhere in the file, so they are rewritten in every branch.
        var arguments = source.Length == 0
            ? shebang.Arguments
            : shebang.Arguments.Replace(source, destination, StringComparison.Ordinal);
        if (!PrefixPath.TryGetRemainder(shebang.Interpreter, source, out var remainder))
        {
            return Line(shebang.Interpreter, arguments);
        }

        var interpreter = destination + remainder;
        var direct = Line(interpreter, arguments);
        if (direct.Length - 1 <= MaxShebangLength && !interpreter.Any(char.IsWhiteSpace))
        {
            return direct;
        }

        var name = FileName(interpreter);
        if (IsPython(name))
        {
            return PythonTrampoline(interpreter, arguments);
        }

        return arguments.Length == 0
            ? Encoding.UTF8.GetBytes($"#!/usr/bin/env {name}\n")
            : Encoding.UTF8.GetBytes($"#!/usr/bin/env -S {name} {arguments}\n");
    }

    private static byte[] Line(string interpreter, string arguments) =>
        Encoding.UTF8.GetBytes(arguments.Length == 0 ? $"#!{interpreter}\n" : $"#!{interpreter} {arguments}\n");

    // The shell runs line 2 as `exec python ... "$0"`; python then reads the same three lines as a
    // harmless string literal, so the script body is untouched and any path length works.
    private static byte[] PythonTrampoline(string interpreter, string arguments)
    {
        var builder = new StringBuilder("#!/bin/sh\n'''exec' \"");
        foreach (var c in interpreter)
        {
            if (c is '\\' or '"' or '$' or '`')
            {
                builder.Append('\\');
            }

            builder.Append(c);
        }

        builder.Append("\" ");
        if (arguments.Length > 0)
        {
            builder.Append(arguments).Append(' ');
        }

        builder.Append("\"$0\" \"$@\"\n' '''\n");
        return Encoding.UTF8.GetBytes(builder.ToString());
    }

    private static string FileName(string path) => path[(path.LastIndexOf('/') + 1)..];

    private static bool IsPython(string name)
    {
        if (name == "pythonw")
        {
            return true;
        }

        if (!name.StartsWith("python", StringComparison.Ordinal))
        {
            return false;
        }

        foreach (var c in name.AsSpan("python".Length))
        {
            if (!char.IsAsciiDigit(c) && c != '.')
            {
                return false;
            }
        }

        return true;
    }
}
