namespace LocalTls.Trust;

/// <summary>
/// A per-user certificate directory, no root rights needed (as <c>dotnet dev-certs https --trust</c> does on Linux):
/// the root as <c>&lt;subject hash&gt;.N</c>, the name OpenSSL looks up, in a directory that OpenSSL-based clients
/// (curl, Python, .NET on Linux) read once <c>SSL_CERT_DIR</c> lists it.
/// </summary>
internal sealed class UserDirectoryTrustStore(TrustOptions options) : TrustStore(options)
{
    public override string Name => "user";

    public override string Title => "per-user certificate directory (SSL_CERT_DIR)";

    public override bool IsPresent => Options.Platform != TrustPlatform.Windows;

    public string Directory => Options.InHome(".local", "share", "localtls", "trust");

    /// <summary>The line to add to a shell profile: this directory first, then the system's.</summary>
    public string EnvironmentLine()
    {
        var current = Options.GetVariable("SSL_CERT_DIR");
        var others = string.IsNullOrWhiteSpace(current)
            ? [SystemCertificateDirectory()]
            : current.Split(':', StringSplitOptions.RemoveEmptyEntries).Where(d => d != Directory).ToArray();
        return $"export SSL_CERT_DIR=\"{string.Join(':', [Directory, .. others])}\"";
    }

    public override TrustStoreStatus Status(TrustedRoot root)
    {
        if (!IsPresent)
        {
            return Absent("Windows does not read OpenSSL certificate directories.");
        }

        var file = Installed(root);
        var listed = (Options.GetVariable("SSL_CERT_DIR") ?? "").Split(':').Contains(Directory);
        return (file, listed) switch
        {
            (not null, true) => new TrustStoreStatus(Name, TrustState.Trusted, $"{file}, and SSL_CERT_DIR lists {Directory}"),
            (not null, false) => new TrustStoreStatus(Name, TrustState.NotTrusted, $"{file} is there, but SSL_CERT_DIR does not list {Directory}.", $"Add to your shell profile: {EnvironmentLine()}"),
            _ => new TrustStoreStatus(Name, TrustState.NotTrusted, $"no copy of the root in {Directory}.", "Run 'localtls trust install --store user'."),
        };
    }

    public override IReadOnlyList<string> Install(TrustedRoot root)
    {
        RequireUsable(Status(root));
        var file = Installed(root);
        var done = new List<string>();
        if (file is null)
        {
            System.IO.Directory.CreateDirectory(Directory);
            file = FreeName(root);
            File.WriteAllText(file, root.Pem);
            done.Add($"Wrote {file}.");
        }
        else
        {
            done.Add($"{file} is already there.");
        }

        done.Add($"OpenSSL-based clients trust it once SSL_CERT_DIR lists {Directory}; add to your shell profile: {EnvironmentLine()}");
        return done;
    }

    public override IReadOnlyList<string> Uninstall(TrustedRoot root)
    {
        if (Installed(root) is not { } file)
        {
            return [$"No copy of the root in {Directory}."];
        }

        File.Delete(file);
        return [$"Removed {file}. SSL_CERT_DIR may keep listing {Directory}; it does no harm."];
    }

    /// <summary>The file that holds this root: <c>&lt;hash&gt;.0</c>, or <c>.1</c>… when another certificate has the same subject hash.</summary>
    private string? Installed(TrustedRoot root)
    {
        var hash = OpenSslSubjectHash.Of(root.Certificate);
        return Enumerable.Range(0, 10).Select(i => Path.Combine(Directory, $"{hash}.{i}"))
            .FirstOrDefault(f => File.Exists(f) && root.IsIn(File.ReadAllText(f)));
    }

    private string FreeName(TrustedRoot root)
    {
        var hash = OpenSslSubjectHash.Of(root.Certificate);
        return Enumerable.Range(0, 10).Select(i => Path.Combine(Directory, $"{hash}.{i}")).FirstOrDefault(f => !File.Exists(f))
            ?? throw new TrustException($"{Directory} already has ten certificates with the subject hash {hash}; remove the ones no longer needed.");
    }

    /// <summary>OpenSSL's own certificate directory (OPENSSLDIR/certs), so the line keeps the system's roots trusted.</summary>
    private string SystemCertificateDirectory()
    {
        if (Options.Find("openssl") is { } openssl)
        {
            var version = Options.Runner.Run(new CommandLine(openssl, "version", "-d"));
            var line = version.Stdout.Trim();
            var start = line.IndexOf('"');
            var end = line.LastIndexOf('"');
            if (version.ExitCode == 0 && start >= 0 && end > start)
            {
                return Path.Combine(line[(start + 1)..end], "certs");
            }
        }

        return "/etc/ssl/certs";
    }
}
