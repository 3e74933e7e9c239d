Console.WriteLine("wdb");
