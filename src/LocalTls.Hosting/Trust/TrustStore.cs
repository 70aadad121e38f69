namespace LocalTls.Trust;

/// <summary>Where a store stands for one root.</summary>
internal enum TrustState
{
    Trusted,
    NotTrusted,
    StoreAbsent,
    ToolMissing,
}

/// <summary>One store's answer to <c>status</c>: its state, what was looked at, and what to do when it is not trusted.</summary>
internal sealed record TrustStoreStatus(string Store, TrustState State, string Detail, string? Hint = null)
{
    public string StateText => State switch
    {
        TrustState.Trusted => "trusted",
        TrustState.NotTrusted => "not trusted",
        TrustState.StoreAbsent => "store absent",
        _ => "tool missing",
    };
}

/// <summary>A store cannot be changed or read: a tool failed, the store is absent, root rights are missing. The message says what to do.</summary>
internal sealed class TrustException(string message) : Exception(message);

/// <summary>
/// One place a root can be trusted (one file per store, as mkcert lays them out). <see cref="Install"/> adds the root
/// under a name derived from its fingerprint, so <see cref="Uninstall"/> removes exactly that and nothing else.
/// </summary>
/// <remarks>
/// Written here because no package served to this project installs roots into these stores (mkcert is a Go program,
/// and the SDK's dev-certs code is not a library); each store drives its platform's own tool, as mkcert does.
/// </remarks>
internal abstract class TrustStore(TrustOptions options)
{
    protected TrustOptions Options { get; } = options;

    /// <summary>The name given to <c>--store</c>.</summary>
    public abstract string Name { get; }

    /// <summary>What the store is, for people: "NSS (Chromium, Firefox)".</summary>
    public abstract string Title { get; }

    /// <summary>Whether this user has the store at all (a browser profile, a JDK, this operating system).</summary>
    public abstract bool IsPresent { get; }

    public abstract TrustStoreStatus Status(TrustedRoot root);

    /// <summary>Trusts the root; returns what was done, one line each.</summary>
    /// <exception cref="TrustException">The store is absent, its tool is missing, or a command failed.</exception>
    public abstract IReadOnlyList<string> Install(TrustedRoot root);

    /// <summary>Removes what <see cref="Install"/> added for this root; returns what was done, one line each.</summary>
    public abstract IReadOnlyList<string> Uninstall(TrustedRoot root);

    protected TrustStoreStatus Absent(string detail) => new(Name, TrustState.StoreAbsent, detail);

    protected TrustStoreStatus Missing(string tool, string hint) => new(Name, TrustState.ToolMissing, $"'{tool}' is not installed.", hint);

    /// <summary>Throws when the store cannot be changed, with the status's detail and hint as the message.</summary>
    protected void RequireUsable(TrustStoreStatus status)
    {
        if (status.State is TrustState.StoreAbsent or TrustState.ToolMissing)
        {
            throw new TrustException($"{Title}: {status.StateText}: {status.Detail}{(status.Hint is null ? "" : " " + status.Hint)}");
        }
    }

    /// <summary>An absent store has nothing of ours to remove; any other store must be usable (its tool present) to be changed.</summary>
    protected bool NothingToUninstall(TrustedRoot root)
    {
        var status = Status(root);
        if (status.State == TrustState.StoreAbsent)
        {
            return true;
        }

        RequireUsable(status);
        return false;
    }

    protected CommandResult RunChecked(CommandLine command)
    {
        var result = Options.Runner.Run(command);
        if (result.ExitCode != 0)
        {
            throw new TrustException($"'{command}' failed (exit {result.ExitCode}): {result.Output}");
        }

        return result;
    }
}
