namespace LocalTls.Trust;

/// <summary>
/// The Linux system store of the four distribution families: an anchor file in the family's directory, then its
/// update command. Root rights are needed; without them the commands run through sudo, and the output says so.
/// </summary>
internal sealed class LinuxSystemTrustStore(TrustOptions options) : TrustStore(options)
{
    /// <summary>A family's anchor directory and the bundle its update command writes (both relative to the system root), file extension and update command.</summary>
    internal sealed record Family(string Name, string AnchorDirectory, string Extension, CommandLine Update, string Bundle, string Package);

    /// <summary>In the order they are looked for: the first whose anchor directory exists is this machine's.</summary>
    internal static readonly IReadOnlyList<Family> Families =
    [
        new("Fedora/RHEL", "etc/pki/ca-trust/source/anchors", ".pem", new("update-ca-trust", "extract"), "etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", "ca-certificates (dnf install ca-certificates)"),
        new("Debian/Ubuntu", "usr/local/share/ca-certificates", ".crt", new("update-ca-certificates"), "etc/ssl/certs/ca-certificates.crt", "ca-certificates (apt-get install ca-certificates)"),
        new("Arch", "etc/ca-certificates/trust-source/anchors", ".crt", new("trust", "extract-compat"), "etc/ca-certificates/extracted/tls-ca-bundle.pem", "p11-kit (pacman -S p11-kit)"),
        new("openSUSE", "etc/pki/trust/anchors", ".pem", new("update-ca-certificates"), "var/lib/ca-certificates/ca-bundle.pem", "ca-certificates (zypper install ca-certificates)"),
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
        var bundle = Options.System(family.Bundle);
        // Trusted means the update command has put the anchor into the bundle that clients read.
        var inBundle = File.Exists(bundle) && root.IsInBundle(File.ReadAllText(bundle));
        return (HasAnchor(family, root), inBundle) switch
        {
            (true, true) => new TrustStoreStatus(Name, TrustState.Trusted, $"{family.Name}: {anchor}, in {bundle}"),
            (true, false) => new TrustStoreStatus(Name, TrustState.NotTrusted, $"{family.Name}: {anchor} is there, but {bundle} does not hold it yet.", $"Run 'sudo {family.Update}' (or 'localtls trust install --store system')."),
            _ => new TrustStoreStatus(Name, TrustState.NotTrusted, $"{family.Name}: no {anchor}", "Run 'localtls trust install --store system' (it uses sudo when not run as root)."),
        };
    }

    private bool HasAnchor(Family family, TrustedRoot root)
    {
        var anchor = AnchorPath(family, root);
        return File.Exists(anchor) && root.IsIn(File.ReadAllText(anchor));
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
        var write = !HasAnchor(family, root);
        if (NeedsSudo(family))
        {
            Options.Progress(SudoNotice($"{family.Name}: {(write ? "writing " + anchor : "updating the bundle")}"));
            if (write)
            {
                RunChecked(new CommandLine("install", "-m", "0644", root.Path, anchor).WithSudo());
            }

            RunChecked(family.Update.WithSudo());
        }
        else if (!write)
        {
            RunChecked(family.Update);
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

        done.Add(write ? $"{family.Name}: wrote {anchor} and ran '{family.Update}'." : $"{family.Name}: {anchor} was there; ran '{family.Update}'.");
        return done;
    }

    public override IReadOnlyList<string> Uninstall(TrustedRoot root)
    {
        if (NothingToUninstall(root))
        {
            return [];
        }

        var family = DetectFamily()!;
        var anchor = AnchorPath(family, root);
        if (!HasAnchor(family, root))
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
