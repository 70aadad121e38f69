return LocalTls.Cli.LocalTlsCommand.Run(args, Console.Out, Console.Error);
