namespace LocalTls.Trust;

/// <summary>
/// The Linux system store of the four distribution families: an anchor file in the family's directory, then its
/// update command. Root rights are needed; without them the commands run through sudo, and the output says so.
/// </summary>
internal sealed class LinuxSystemTrustStore(TrustOptions options) : TrustStore(options)
{
    /// <summary>A family's anchor directory (relative to the system root), file extension and update command.</summary>
    internal sealed record Family(string Name, string AnchorDirectory, string Extension, CommandLine Update, string Package);

    /// <summary>In the order they are looked for: the first whose anchor directory exists is this machine's.</summary>
    internal static readonly IReadOnlyList<Family> Families =
    [
        new("Fedora/RHEL", "etc/pki/ca-trust/source/anchors", ".pem", new("update-ca-trust", "extract"), "ca-certificates (dnf install ca-certificates)"),
        new("Debian/Ubuntu", "usr/local/share/ca-certificates", ".crt", new("update-ca-certificates"), "ca-certificates (apt-get install ca-certificates)"),
        new("Arch", "etc/ca-certificates/trust-source/anchors", ".crt", new("trust", "extract-compat"), "p11-kit (pacman -S p11-kit)"),
        new("openSUSE", "etc/pki/trust/anchors", ".pem", new("update-ca-certificates"), "ca-certificates (zypper install ca-certificates)"),
    ];

    public override string Name => "system";

    public override string Title => "Linux system store";

    public override bool IsPresent => DetectFamily() is not null;

    public Family? DetectFamily() =>
        Options.Platform == TrustPlatform.Linux ? Families.FirstOrDefault(f => Directory.Exists(Options.System(f.AnchorDirectory))) : null;

    /// <summary>Where the anchor for this root goes, on this machine's family.</summary>
    public string AnchorPath(Family family, TrustedRoot root) => Path.Combine(Options.System(family.AnchorDirectory), root.FileStem + family.Extension);

    public override TrustStoreStatus Status(TrustedRoot root)
    {
        if (DetectFamily() is not { } family)
        {
            return Absent(Options.Platform == TrustPlatform.Linux
                ? $"none of the known anchor directories exists under {Options.SystemRoot} ({string.Join(", ", Families.Select(f => "/" + f.AnchorDirectory))})."
                : "not a Linux machine.");
        }

        if (Options.Find(family.Update.FileName) is null)
        {
            return Missing(family.Update.FileName, $"Install {family.Package}.");
        }

        var anchor = AnchorPath(family, root);
        return File.Exists(anchor) && root.IsIn(File.ReadAllText(anchor))
            ? new TrustStoreStatus(Name, TrustState.Trusted, $"{family.Name}: {anchor}")
            : new TrustStoreStatus(Name, TrustState.NotTrusted, $"{family.Name}: no {anchor}", "Run 'localtls trust install --store system' (it uses sudo when not run as root).");
    }

    public override IReadOnlyList<string> Install(TrustedRoot root)
    {
        var status = Status(root);
        RequireUsable(status);
        var family = DetectFamily()!;
        var anchor = AnchorPath(family, root);
        if (status.State == TrustState.Trusted)
        {
            return [$"{family.Name}: already trusted ({anchor})."];
        }

        var done = new List<string>();
        if (NeedsSudo(family))
        {
            Options.Progress(SudoNotice($"{family.Name}: writing {anchor}"));
            RunChecked(new CommandLine("install", "-m", "0644", root.Path, anchor).WithSudo());
            RunChecked(family.Update.WithSudo());
        }
        else
        {
            File.WriteAllText(anchor, root.Pem);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(anchor, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            }

            RunChecked(family.Update);
        }

        done.Add($"{family.Name}: wrote {anchor} and ran '{family.Update}'.");
        return done;
    }

    public override IReadOnlyList<string> Uninstall(TrustedRoot root)
    {
        var status = Status(root);
        if (status.State == TrustState.StoreAbsent)
        {
            return [];
        }

        RequireUsable(status);
        var family = DetectFamily()!;
        var anchor = AnchorPath(family, root);
        if (status.State != TrustState.Trusted)
        {
            return [$"{family.Name}: was not trusted (no {anchor})."];
        }

        var done = new List<string>();
        if (NeedsSudo(family))
        {
            Options.Progress(SudoNotice($"{family.Name}: removing {anchor}"));
            RunChecked(new CommandLine("rm", "-f", anchor).WithSudo());
            RunChecked(family.Update.WithSudo());
        }
        else
        {
            File.Delete(anchor);
            RunChecked(family.Update);
        }

        done.Add($"{family.Name}: removed {anchor} and ran '{family.Update}'.");
        return done;
    }

    private bool NeedsSudo(Family family) => Options.UseSudo ?? (!Options.Privileged && !Options.IsWritable(Options.System(family.AnchorDirectory)));

    private string SudoNotice(string action)
    {
        if (Options.UseSudo is null && Options.Find("sudo") is null)
        {
            throw new TrustException($"{action} needs root, and sudo is not installed: run the same localtls command as root.");
        }

        return $"{action} needs root, so this runs sudo (it may ask for your password).";
    }
}
