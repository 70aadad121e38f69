using LocalTls.Trust;

namespace LocalTls.Tests.Trust;

/// <summary>Records the system commands a store would run (update-ca-certificates, sudo, security) instead of running them.</summary>
internal sealed class RecordingRunner(Func<CommandLine, CommandResult>? respond = null) : ICommandRunner
{
    public List<CommandLine> Commands { get; } = [];

    public IEnumerable<string> Lines => Commands.Select(c => c.ToString());

    public CommandResult Run(CommandLine command)
    {
        Commands.Add(command);
        return respond?.Invoke(command) ?? new CommandResult(0, "", "");
    }
}
