using System.CommandLine;
using LocalTls.Pki;
using LocalTls.StepCa;

namespace LocalTls.Cli;

/// <summary><c>localtls stepca config</c>.</summary>
internal static class StepCaCommands
{
    private const string HostDefaultAddress = "127.0.0.1:9000";
    private const string ContainerDefaultAddress = ":9000";

    public static Command Build(TextWriter stdout, TextWriter stderr)
    {
        var stepca = new Command("stepca", "Configure step-ca (smallstep's ACME server) with the local development CA.");
        stepca.Subcommands.Add(Config(stdout, stderr));
        return stepca;
    }

    private static Command Config(TextWriter stdout, TextWriter stderr)
    {
        var output = new Option<string>("--out")
        {
            Description = "The folder to write into: config/, certs/, secrets/ and db/ are created in it. Files already there are replaced; db/ is left as it is.",
            Required = true,
            HelpName = "DIR",
        };
        var layout = new Option<string>("--layout")
        {
            Description = "container: the paths in ca.json are /home/step/..., so DIR can be mounted at /home/step in the smallstep/step-ca image. " +
                "host: the paths are DIR's own, for a step-ca running on this machine.",
            DefaultValueFactory = _ => "container",
        };
        layout.AcceptOnlyFromAmong("container", "host");
        var address = new Option<string?>("--address")
        {
            Description = $"Where step-ca listens: host:port, :port for every interface, [::1]:port for IPv6. Default: {ContainerDefaultAddress} (container), {HostDefaultAddress} (host).",
            HelpName = "ADDR",
        };
        var dnsNames = new Option<string[]>("--dns-name")
        {
            Description = "A name or IP address in step-ca's own TLS certificate (repeatable); the first one makes the ACME directory URL. " +
                $"Default: the --address host when it names one, then {string.Join(", ", StepCaOptions.ClusterServiceDnsNames)}, localhost and 127.0.0.1 (container), or 127.0.0.1 and localhost (host). " +
                "Each must be permitted by the root's name constraints.",
            AllowMultipleArgumentsPerToken = true,
            HelpName = "NAME",
        };
        var provisioner = new Option<string>("--provisioner")
        {
            Description = "The ACME provisioner's name: the directory is https://{name}:{port}/acme/{provisioner}/directory. Letters, digits, '-', '_' and '.'.",
            DefaultValueFactory = _ => AcmeProvisionerOptions.DefaultName,
            HelpName = "NAME",
        };
        var dbPath = new Option<string?>("--db-path")
        {
            Description = "The badger database folder, as step-ca sees it (an absolute /... path for the container layout). Default: DIR's db/ (/home/step/db in the container).",
            HelpName = "PATH",
        };
        var passwordFile = new Option<string?>("--password-file")
        {
            Description = "A file whose first line is a password: the intermediate key is written encrypted with it, the password goes to secrets/password, and step-ca is run with --password-file.",
            HelpName = "FILE",
        };
        var caroot = new Option<string?>("--caroot")
        {
            Description = $"The CA store directory. Default: ${CaStore.DirectoryVariable}, else the per-user data directory (~/.local/share/localtls on Linux). A CA is created there if there is none, as 'localtls ca init' does.",
            HelpName = "DIR",
        };
        var command = new Command(
            "config",
            "Write step-ca's files (ca.json, defaults.json, the root and intermediate certificates, the intermediate key; never the root key) for the CA in the CA store, " +
            "and print the ACME directory URL, the root fingerprint and how to run step-ca.")
        {
            output, layout, address, dnsNames, provisioner, dbPath, passwordFile, caroot,
        };
        command.SetAction(parse => LocalTlsCommand.Guard(stderr, () =>
        {
            var isHost = parse.GetValue(layout) == "host";
            var outDir = Path.GetFullPath(RequireText(parse.GetValue(output), output.Name, "a folder, e.g. ./step-ca"));
            var listen = parse.GetValue(address) ?? (isHost ? HostDefaultAddress : ContainerDefaultAddress);
            var provisionerName = RequireText(parse.GetValue(provisioner), provisioner.Name, $"a name like '{AcmeProvisionerOptions.DefaultName}'");
            var password = parse.GetValue(passwordFile) is { } pwFile ? ReadPassword(pwFile, passwordFile.Name) : null;
            var givenNames = parse.GetValue(dnsNames) ?? [];
            var names = givenNames.Length > 0 ? [.. givenNames] : DefaultNames(isHost, listen);

            var options = new StepCaOptions
            {
                Address = listen,
                DnsNames = names,
                Provisioners = [new AcmeProvisionerOptions { Name = provisionerName }],
            };
            if (parse.GetValue(dbPath) is { } db)
            {
                options.Database.DataSource = DatabasePath(db, isHost, dbPath.Name);
            }

            var problems = options.Validate();
            if (problems.Count > 0)
            {
                throw new ArgumentException(string.Join(Environment.NewLine + "error: ", problems.Select(ForCommandLine)));
            }

            var store = new CaStore(parse.GetValue(caroot));
            var existed = store.Exists;
            var material = store.LoadOrCreate();
            if (!existed)
            {
                stdout.WriteLine($"Created a new CA in {store.Directory} (as 'localtls ca init' does).");
            }

            var forbidden = names.Where(n => !material.Permits(n.Trim())).ToList();
            if (forbidden.Count > 0)
            {
                throw new ArgumentException(
                    $"{string.Join(", ", forbidden.Select(n => $"'{n}'"))} {(forbidden.Count == 1 ? "is" : "are")} outside the root's name constraints, so every client would reject step-ca's own certificate. " +
                    $"Permitted: {material.NameConstraints}. Give --dns-name with permitted names only (e.g. 127.0.0.1, localhost, something.127.0.0.1.sslip.io), " +
                    "or make a CA that permits them: localtls ca init --force --permit-dns DOMAIN (clients must then trust the new root).");
            }

            var target = isHost ? StepCaLayout.Host(outDir) : StepCaLayout.Container;
            var replacing = File.Exists(Path.Combine(outDir, "config", "ca.json"));
            StepCaFileSet files;
            try
            {
                files = StepCaFiles.Render(target, options, material, password);
            }
            catch (StepCaException e)
            {
                throw new ArgumentException(e.Message, e);
            }

            try
            {
                StepCaFiles.Write(files, outDir);
            }
            catch (StepCaException e)
            {
                throw new IOException($"{e.Message} (--out {outDir})", e);
            }

            WriteSummary(stdout, files, outDir, isHost, replacing, options, provisionerName, store);
            return ExitCodes.Success;
        }));
        return command;
    }

    private static List<string> DefaultNames(bool isHost, string listen)
    {
        var names = new List<string>();
        // Only a valid host:port counts here; a bad address is reported once, by validation.
        var colon = listen.LastIndexOf(':');
        var host = colon > 0 ? listen[..colon].Trim('[', ']') : "";
        if (host is not ("" or "0.0.0.0" or "::") && new StepCaOptions { Address = listen, DnsNames = [host] }.Validate().Count == 0)
        {
            names.Add(host);
        }

        names.AddRange(isHost ? ["127.0.0.1", "localhost"] : [.. StepCaOptions.ClusterServiceDnsNames, "localhost", "127.0.0.1"]);
        return [.. names.Distinct(StringComparer.OrdinalIgnoreCase)];
    }

    private static string DatabasePath(string path, bool isHost, string option)
    {
        var text = RequireText(path, option, isHost ? "a folder, e.g. ./step-ca-db" : "an absolute path inside the container, e.g. /home/step/db");
        if (isHost)
        {
            return Path.GetFullPath(text);
        }

        if (!text.StartsWith('/') || text.Contains('\\', StringComparison.Ordinal))
        {
            throw new ArgumentException($"{option} '{path}' is not an absolute path inside the container: write it as step-ca sees it there, e.g. /home/step/db, or use --layout host for a path on this machine.");
        }

        return text;
    }

    private static string ReadPassword(string path, string option)
    {
        if (!File.Exists(path))
        {
            throw new ArgumentException($"{option} {path}: the file does not exist. Write the password on its first line (e.g. 'openssl rand -base64 24 > {path}'), or leave {option} out to keep the intermediate key unencrypted.");
        }

        var password = LocalTlsCommand.ReadInput(path, option).Split('\n')[0].TrimEnd('\r');
        if (password.Length == 0)
        {
            throw new ArgumentException($"{option} {path}: the first line is empty. Write the password on the first line.");
        }

        return password;
    }

    private static string RequireText(string? value, string option, string example) =>
        string.IsNullOrWhiteSpace(value) ? throw new ArgumentException($"{option} is empty: give {example}.") : value.Trim();

    /// <summary>Rewords a <see cref="StepCaOptions.Validate"/> message in terms of this command's options.</summary>
    private static string ForCommandLine(string problem)
    {
        foreach (var (prefix, option) in new[] { ("Address '", "--address '"), ("DnsNames entry '", "--dns-name '"), ("ACME provisioner name '", "--provisioner '") })
        {
            if (problem.StartsWith(prefix, StringComparison.Ordinal))
            {
                return option + problem[prefix.Length..];
            }
        }

        return problem;
    }

    private static void WriteSummary(TextWriter stdout, StepCaFileSet files, string outDir, bool isHost, bool replacing, StepCaOptions options, string provisioner, CaStore store)
    {
        stdout.WriteLine($"{(replacing ? "Replaced" : "Wrote")} step-ca's files for the {(isHost ? "host" : "container")} layout in {outDir}:");
        var width = files.Files.Max(f => f.RelativePath.Length) + 2;
        foreach (var file in files.Files.OrderBy(f => f.RelativePath, StringComparer.Ordinal))
        {
            stdout.WriteLine($"  {file.RelativePath.PadRight(width)}{(file.IsSecret ? "secret, mode 0600" : "")}".TrimEnd());
        }

        stdout.WriteLine($"  {(StepCaLayout.DbFolder + "/").PadRight(width)}the database folder{(options.Database.DataSource is { } db ? $" (not used: ca.json points at {db})" : "")}");
        stdout.WriteLine($"The root key is not written: it stays in {store.Directory}.");
        if (!isHost)
        {
            stdout.WriteLine($"The paths inside ca.json are under {StepCaLayout.ContainerRoot}: mount {outDir} there (the smallstep/step-ca image runs as uid 1000, which must be able to read it).");
        }

        stdout.WriteLine();
        var baseUrl = StepCaConfig.BaseUrl(options);
        stdout.WriteLine($"ACME directory:   {StepCaConfig.AcmeDirectoryUrl(baseUrl, provisioner)}");
        stdout.WriteLine($"Root fingerprint: {files.RootFingerprint}");
        stdout.WriteLine($"Root certificate: {Path.Combine(outDir, "certs", "root_ca.crt")} (what ACME clients must trust)");
        stdout.WriteLine();
        stdout.WriteLine(isHost ? "Run step-ca:" : "Run step-ca in the container:");
        stdout.WriteLine("  " + CommandLine(["step-ca", .. files.Arguments()]));
        if (isHost)
        {
            stdout.WriteLine($"To validate sslip.io names offline, run 'localtls dns serve' and add '--resolver 127.0.0.1:{LocalTls.Sslip.SslipDnsServerOptions.DefaultPort}' before the ca.json path.");
        }
    }

    /// <summary>Words for a POSIX shell: single-quoted when they hold anything but safe characters.</summary>
    internal static string CommandLine(IEnumerable<string> words) => string.Join(' ', words.Select(Quote));

    private static string Quote(string word) =>
        word.Length > 0 && word.All(c => char.IsAsciiLetterOrDigit(c) || c is '/' or '.' or '_' or '-' or ':' or '=' or '@' or '+' or ',')
            ? word
            : "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
