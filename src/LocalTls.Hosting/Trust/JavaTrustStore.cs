namespace LocalTls.Trust;

/// <summary>The JDK's <c>cacerts</c> keystore, changed with <c>keytool</c> under an alias unique to the root.</summary>
internal sealed class JavaTrustStore(TrustOptions options) : TrustStore(options)
{
    internal const string InstallHint = "Install a JDK ('apt-get install default-jdk-headless') or set JAVA_HOME to one.";

    public override string Name => "java";

    public override string Title => "Java cacerts";

    public override bool IsPresent => Keystore() is not null;

    /// <summary><see cref="TrustOptions.JavaHome"/>, else <c>$JAVA_HOME</c>, else the JDK that <c>keytool</c> on PATH belongs to.</summary>
    public string? JavaHome()
    {
        if ((Options.JavaHome ?? Options.GetVariable("JAVA_HOME")) is { Length: > 0 } home)
        {
            return home;
        }

        if (Options.Find("keytool") is not { } keytool)
        {
            return null;
        }

        // /usr/bin/keytool is a chain of links to <jdk>/bin/keytool.
        var target = new FileInfo(keytool).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? keytool;
        return Path.GetDirectoryName(Path.GetDirectoryName(target));
    }

    public string? Keystore()
    {
        if (Options.JavaKeystore is not null)
        {
            return File.Exists(Options.JavaKeystore) ? Options.JavaKeystore : null;
        }

        return JavaHome() is { } home
            ? new[] { Path.Combine(home, "lib", "security", "cacerts"), Path.Combine(home, "jre", "lib", "security", "cacerts") }.FirstOrDefault(File.Exists)
            : null;
    }

    public override TrustStoreStatus Status(TrustedRoot root)
    {
        if (Keystore() is not { } keystore)
        {
            return Absent(Options.JavaKeystore is not null ? $"no keystore at {Options.JavaKeystore}." : "no JDK found (JAVA_HOME is not set and keytool is not on PATH).");
        }

        if (KeyTool() is not { } keytool)
        {
            return Missing("keytool", InstallHint);
        }

        return HasRoot(keytool, keystore, root)
            ? new TrustStoreStatus(Name, TrustState.Trusted, $"{keystore}: alias {root.UniqueName}")
            : new TrustStoreStatus(Name, TrustState.NotTrusted, $"{keystore}: no alias {root.UniqueName}", "Run 'localtls trust install --store java'.");
    }

    public override IReadOnlyList<string> Install(TrustedRoot root)
    {
        var status = Status(root);
        RequireUsable(status);
        var keystore = Keystore()!;
        if (status.State == TrustState.Trusted)
        {
            return [$"{keystore}: already trusted."];
        }

        Run(keystore, ["-importcert", "-noprompt", "-keystore", keystore, "-storepass", Options.JavaKeystorePassword, "-alias", root.UniqueName, "-file", root.Path]);
        return [$"{keystore}: added alias {root.UniqueName}. Restart Java programs to use it."];
    }

    public override IReadOnlyList<string> Uninstall(TrustedRoot root)
    {
        var status = Status(root);
        if (status.State == TrustState.StoreAbsent)
        {
            return [];
        }

        RequireUsable(status);
        var keystore = Keystore()!;
        if (status.State != TrustState.Trusted)
        {
            return [$"{keystore}: was not trusted."];
        }

        Run(keystore, ["-delete", "-keystore", keystore, "-storepass", Options.JavaKeystorePassword, "-alias", root.UniqueName]);
        return [$"{keystore}: removed alias {root.UniqueName}."];
    }

    private string? KeyTool() =>
        JavaHome() is { } home && File.Exists(Path.Combine(home, "bin", "keytool")) ? Path.Combine(home, "bin", "keytool") : Options.Find("keytool");

    private bool HasRoot(string keytool, string keystore, TrustedRoot root)
    {
        var listed = Options.Runner.Run(new CommandLine(keytool, "-list", "-v", "-keystore", keystore, "-storepass", Options.JavaKeystorePassword, "-alias", root.UniqueName));
        // The alias alone could be someone else's certificate; the fingerprint makes it ours.
        var colons = string.Join(':', Enumerable.Range(0, root.Fingerprint.Length / 2).Select(i => root.Fingerprint.Substring(i * 2, 2)));
        return listed.ExitCode == 0 && listed.Stdout.Contains(colons, StringComparison.OrdinalIgnoreCase);
    }

    private void Run(string keystore, string[] arguments)
    {
        var command = new CommandLine(KeyTool()!, arguments);
        if (Options.UseSudo ?? (!Options.Privileged && !Options.IsWritable(keystore)))
        {
            Options.Progress($"Changing {keystore} needs root, so this runs sudo (it may ask for your password).");
            command = command.WithSudo();
        }

        RunChecked(command);
    }
}
