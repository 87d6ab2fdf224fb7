using System.Text;
using Spectre.Console;

namespace Envship.Cli.Rendering;

/// <summary>
/// Stderr as the progress bar's terminal. When an SSH session drops, the terminal goes away and every
/// write fails with EIO; the bar redraws on a thread of its own, where that exception would kill the
/// process before SIGHUP's cleanup ran and leave the temporary output behind. Once a write fails,
/// this drops the rest of the drawing, and the command stops through its cancellation as for Ctrl-C.
/// </summary>
internal sealed class TerminalOutput : IAnsiConsoleOutput
{
    private readonly AnsiConsoleOutput _terminal = new(Console.Error);

    public TextWriter Writer { get; } = new VanishingTerminalWriter(Console.Error);

    public bool IsTerminal => _terminal.IsTerminal;

    public int Width => _terminal.Width;

    public int Height => _terminal.Height;

    public void SetEncoding(Encoding encoding) => _terminal.SetEncoding(encoding);

    private sealed class VanishingTerminalWriter(TextWriter terminal) : TextWriter
    {
        private volatile bool _gone;

        public override Encoding Encoding => terminal.Encoding;

        public override void Write(char value) => Guard(() => terminal.Write(value));

        public override void Write(string? value) => Guard(() => terminal.Write(value));

        public override void Write(char[] buffer, int index, int count) => Guard(() => terminal.Write(buffer, index, count));

        public override void Flush() => Guard(terminal.Flush);

        private void Guard(Action write)
        {
            if (_gone)
            {
                return;
            }

            try
            {
                write();
            }
            catch (IOException)
            {
                _gone = true;
            }
        }
    }
}
