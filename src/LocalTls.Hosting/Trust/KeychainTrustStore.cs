namespace LocalTls.Trust;

/// <summary>
/// The macOS keychain, through the <c>security</c> tool: the System keychain as an admin trust setting when run as
/// root (or with sudo), else the login keychain as a user trust setting, which needs no admin rights.
/// </summary>
internal sealed class KeychainTrustStore(TrustOptions options) : TrustStore(options)
{
    internal const string SystemKeychain = "/Library/Keychains/System.keychain";

    public override string Name => "keychain";

    public override string Title => "macOS keychain";

    public override bool IsPresent => Options.Platform == TrustPlatform.MacOS;

    /// <summary>Whether the System keychain is used (admin) rather than the login keychain.</summary>
    public bool UsesSystemKeychain => Options.Privileged || Options.UseSudo == true;

    public string Keychain => UsesSystemKeychain ? Options.System(SystemKeychain.TrimStart('/')) : Options.InHome("Library", "Keychains", "login.keychain-db");

    /// <summary>What install runs: <c>-d</c> (admin trust settings) for the System keychain only.</summary>
    public CommandLine InstallCommand(TrustedRoot root) => Elevate(UsesSystemKeychain
        ? new CommandLine("security", "add-trusted-cert", "-d", "-r", "trustRoot", "-k", Keychain, root.Path)
        : new CommandLine("security", "add-trusted-cert", "-r", "trustRoot", "-k", Keychain, root.Path));

    /// <summary>What uninstall runs: the certificate named by its SHA-1, with its trust settings (<c>-t</c>), from the same keychain.</summary>
    public CommandLine UninstallCommand(TrustedRoot root) => Elevate(new CommandLine("security", "delete-certificate", "-Z", root.Sha1, "-t", Keychain));

    public CommandLine StatusCommand() => new("security", "find-certificate", "-a", "-Z", Keychain);

    public override TrustStoreStatus Status(TrustedRoot root)
    {
        if (!IsPresent)
        {
            return Absent("not a macOS machine.");
        }

        var found = Options.Runner.Run(StatusCommand());
        return found.ExitCode == 0 && found.Stdout.Contains(root.Sha1, StringComparison.OrdinalIgnoreCase)
            ? new TrustStoreStatus(Name, TrustState.Trusted, $"{Keychain}: SHA-1 {root.Sha1}")
            : new TrustStoreStatus(Name, TrustState.NotTrusted, $"{Keychain}: no certificate with SHA-1 {root.Sha1}",
                UsesSystemKeychain ? "Run 'sudo localtls trust install --store keychain'." : "Run 'localtls trust install --store keychain' (login keychain; with sudo for the System keychain).");
    }

    public override IReadOnlyList<string> Install(TrustedRoot root)
    {
        var status = Status(root);
        RequireUsable(status);
        if (status.State == TrustState.Trusted)
        {
            return [$"{Keychain}: already trusted."];
        }

        var command = InstallCommand(root);
        if (!UsesSystemKeychain)
        {
            Options.Progress("macOS asks to confirm a change of trust settings in the login keychain.");
        }

        RunChecked(command);
        return [$"{Keychain}: added and trusted for SSL ('{command}')."];
    }

    public override IReadOnlyList<string> Uninstall(TrustedRoot root)
    {
        var status = Status(root);
        if (status.State == TrustState.StoreAbsent)
        {
            return [];
        }

        if (status.State != TrustState.Trusted)
        {
            return [$"{Keychain}: was not trusted."];
        }

        RunChecked(UninstallCommand(root));
        return [$"{Keychain}: removed the certificate with SHA-1 {root.Sha1} and its trust settings."];
    }

    private CommandLine Elevate(CommandLine command)
    {
        if (!UsesSystemKeychain || Options.Privileged)
        {
            return command;
        }

        Options.Progress($"Changing {SystemKeychain} needs admin rights, so this runs sudo (it may ask for your password).");
        return command.WithSudo();
    }
}
