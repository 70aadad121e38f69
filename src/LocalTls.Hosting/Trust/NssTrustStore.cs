namespace LocalTls.Trust;

/// <summary>
/// NSS databases: Chromium/Chrome's <c>~/.pki/nssdb</c> (also snap Chromium's) and every Firefox profile (also snap
/// Firefox's and macOS Firefox's), changed with <c>certutil</c> from the NSS tools.
/// </summary>
internal sealed class NssTrustStore(TrustOptions options) : TrustStore(options)
{
    internal const string InstallHint = "Install NSS's certutil: 'apt-get install libnss3-tools' (Debian, Ubuntu), 'dnf install nss-tools' (Fedora, RHEL), 'pacman -S nss' (Arch), 'brew install nss' (macOS).";

    private static readonly string[] Chromiums = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "microsoft-edge"];

    public override string Name => "nss";

    public override string Title => "NSS (Chromium, Chrome, Firefox)";

    public override bool IsPresent => Databases().Count > 0;

    /// <summary>
    /// The NSS databases of this home: those that exist, and Chromium's <c>~/.pki/nssdb</c> when a Chromium-based
    /// browser is installed on Linux (Chromium creates it on first start; creating it first is the same).
    /// </summary>
    public IReadOnlyList<string> Databases()
    {
        var found = new List<string>();
        var chromium = Options.InHome(".pki", "nssdb");
        if (HasDatabase(chromium) || (Options.Platform == TrustPlatform.Linux && Chromiums.Any(b => Options.Find(b) is not null)))
        {
            found.Add(chromium);
        }

        var snapChromium = Options.InHome("snap", "chromium", "current", ".pki", "nssdb");
        if (HasDatabase(snapChromium))
        {
            found.Add(snapChromium);
        }

        string[] profileRoots =
        [
            Options.InHome(".mozilla", "firefox"),
            Options.InHome("snap", "firefox", "common", ".mozilla", "firefox"),
            Options.InHome("Library", "Application Support", "Firefox", "Profiles"),
        ];
        foreach (var profiles in profileRoots.Where(Directory.Exists))
        {
            // Profiles older than Firefox 58 (cert8.db, the dbm format) are left out: current certutil writes sql databases only.
            found.AddRange(Directory.EnumerateDirectories(profiles).Where(HasDatabase).Order(StringComparer.Ordinal));
        }

        return found;
    }

    public override TrustStoreStatus Status(TrustedRoot root)
    {
        var databases = Databases();
        if (databases.Count == 0)
        {
            return Absent($"no NSS database in {Options.Home} (no Chromium ~/.pki/nssdb, no Firefox profile).");
        }

        if (CertUtil() is not { } certutil)
        {
            return Missing("certutil", InstallHint);
        }

        var trusted = databases.Where(db => HasDatabase(db) && IsTrusted(certutil, db, root)).ToList();
        var detail = string.Join("; ", databases.Select(db => $"{db}: {(trusted.Contains(db) ? "trusted" : "not trusted")}"));
        return trusted.Count == databases.Count
            ? new TrustStoreStatus(Name, TrustState.Trusted, detail)
            : new TrustStoreStatus(Name, TrustState.NotTrusted, detail, "Run 'localtls trust install --store nss'.");
    }

    public override IReadOnlyList<string> Install(TrustedRoot root)
    {
        RequireUsable(Status(root));
        var certutil = CertUtil()!;
        var done = new List<string>();
        foreach (var db in Databases())
        {
            if (!HasDatabase(db))
            {
                Directory.CreateDirectory(db);
                RunChecked(new CommandLine(certutil, "-N", "-d", Sql(db), "--empty-password"));
            }

            if (IsTrusted(certutil, db, root))
            {
                done.Add($"{db}: already trusted.");
                continue;
            }

            RunChecked(new CommandLine(certutil, "-A", "-d", Sql(db), "-t", "C,,", "-n", root.UniqueName, "-i", root.Path));
            done.Add($"{db}: added '{root.UniqueName}' (trusted to issue server certificates). Restart the browser to use it.");
        }

        return done;
    }

    public override IReadOnlyList<string> Uninstall(TrustedRoot root)
    {
        if (NothingToUninstall(root))
        {
            return [];
        }

        var certutil = CertUtil()!;
        var done = new List<string>();
        foreach (var db in Databases().Where(HasDatabase))
        {
            // A nickname can hold several certificates; -D removes one at a time.
            var removed = false;
            for (var i = 0; i < 16 && Nicknames(certutil, db).ContainsKey(root.UniqueName); i++)
            {
                RunChecked(new CommandLine(certutil, "-D", "-d", Sql(db), "-n", root.UniqueName));
                removed = true;
            }

            done.Add(removed ? $"{db}: removed '{root.UniqueName}'." : $"{db}: was not trusted.");
        }

        return done;
    }

    /// <summary>certutil on PATH, or Homebrew's on macOS (keg-only, so not on PATH).</summary>
    private string? CertUtil()
    {
        if (Options.Find("certutil") is { } found)
        {
            return found;
        }

        if (Options.Platform == TrustPlatform.MacOS)
        {
            return new[] { "/opt/homebrew/opt/nss/bin/certutil", "/usr/local/opt/nss/bin/certutil" }.FirstOrDefault(File.Exists);
        }

        return null;
    }

    private bool IsTrusted(string certutil, string db, TrustedRoot root) =>
        Nicknames(certutil, db).TryGetValue(root.UniqueName, out var trust) && trust.Split(',')[0].Contains('C');

    /// <summary>Nickname → SSL,S/MIME,code-signing trust flags, from <c>certutil -L</c>'s table.</summary>
    private Dictionary<string, string> Nicknames(string certutil, string db)
    {
        var listed = RunChecked(new CommandLine(certutil, "-L", "-d", Sql(db)));
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in listed.Stdout.Split('\n').Select(l => l.TrimEnd()))
        {
            var split = line.LastIndexOf(' ');
            if (split <= 0 || line.Count(c => c == ',') < 2)
            {
                continue;
            }

            var flags = line[(split + 1)..];
            if (flags.Count(c => c == ',') == 2)
            {
                names[line[..split].TrimEnd()] = flags;
            }
        }

        return names;
    }

    private static bool HasDatabase(string dir) => File.Exists(Path.Combine(dir, "cert9.db"));

    private static string Sql(string db) => "sql:" + db;
}
